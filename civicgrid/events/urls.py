"""Event pages: intake, the grid worker's report, scoped photos, the panel's upload and reveal;
the public citizen pages (civicgrid.events.citizen)."""

from django.urls import path

from . import citizen, views

app_name = "events"

urlpatterns = [
    path("events/new/", views.new_event, name="new"),
    path("events/report/", views.grid_report, name="report"),
    path("events/photos/<int:pk>/", views.photo, name="photo"),
    path("events/<str:number>/photos/", views.upload_photo, name="upload_photo"),
    path("events/<str:number>/reveal/", views.reveal_reporter, name="reveal"),
    # The citizen pages (no staff login): report, follow by number + query code, rate.
    path("citizen/", citizen.report, name="citizen_report"),
    path("citizen/areas.geojson", citizen.areas_geojson, name="citizen_areas"),
    path("citizen/follow/", citizen.follow, name="citizen_follow"),
    path("citizen/cases/<str:number>/", citizen.case_page, name="citizen_case"),
    path("citizen/cases/<str:number>/rate/", citizen.rate, name="citizen_rate"),
]
