"""/open311/…: GeoReport v2 (discovery, services, requests, tokens) and the mySociety updates
extension. The format is the suffix: .xml or .json (anything else answers a 404 error body)."""

from django.urls import path, re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(r"^v2/services/(?P<code>[^/.]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests_, name="requests"),
    re_path(r"^v2/requests/(?P<number>[^/.]+)" + FMT, views.one_request, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/.]+)" + FMT, views.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.updates, name="updates"),
    path("media/<str:token>/", views.media, name="media"),
]
