"""URLs of textintel (included at "" in config/urls.py)."""

from django.urls import path

from . import api

app_name = "textintel"
urlpatterns = [
    path("api/v1/textintel/models/", api.ModelList.as_view(), name="api-models"),
    path("api/v1/textintel/models/deactivate/", api.ModelsDeactivate.as_view(), name="api-models-deactivate"),
    path("api/v1/textintel/models/<int:pk>/", api.ModelDetail.as_view(), name="api-model"),
    path(
        "api/v1/textintel/models/<int:pk>/activate/", api.ModelActivate.as_view(), name="api-model-activate"
    ),
    path("api/v1/textintel/classify/", api.Classify.as_view(), name="api-classify"),
    path("api/v1/textintel/queue/", api.ClassificationQueue.as_view(), name="api-queue"),
    path("api/v1/textintel/flags/", api.FlaggedCases.as_view(), name="api-flags"),
    path("api/v1/textintel/cases/<int:case_id>/", api.CaseTextDetail.as_view(), name="api-case"),
]
