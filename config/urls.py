"""Top-level URL map. Each app owns its URLs; the API lives under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("civicgrid.areas.api.urls")),
    path("api/v1/", include("civicgrid.accounts.api.urls")),
    path("api/v1/", include("civicgrid.audit.api.urls")),
    path("api/v1/", include("civicgrid.events.api.urls")),
    path("api/v1/", include("civicgrid.disputes.api.urls")),
    path("api/v1/", include("civicgrid.petitions.api.urls")),
    path("api/v1/", include("civicgrid.desk.api.urls")),
    path("api/v1/", include("civicgrid.assessment.api.urls")),
    path("api/v1/", include("civicgrid.notifications.api.urls")),
    path("open311/", include("civicgrid.open311.urls")),
    path("", include("civicgrid.textintel.urls")),
    path("", include("civicgrid.accounts.urls")),
    path("", include("civicgrid.areas.urls")),
    path("", include("civicgrid.cases.urls")),
    path("", include("civicgrid.events.urls")),
    path("", include("civicgrid.disputes.urls")),
    path("", include("civicgrid.petitions.urls")),
    path("", include("civicgrid.desk.urls")),
    path("", include("civicgrid.notifications.urls")),
    path("", include("civicgrid.assessment.urls")),
    path("", include("civicgrid.web.urls")),
]
