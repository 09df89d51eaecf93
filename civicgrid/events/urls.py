"""Event pages: intake, the grid worker's report, scoped photos, the panel's upload and reveal."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("events/new/", views.new_event, name="new"),
    path("events/report/", views.grid_report, name="report"),
    path("events/photos/<int:pk>/", views.photo, name="photo"),
    path("events/<str:number>/photos/", views.upload_photo, name="upload_photo"),
    path("events/<str:number>/reveal/", views.reveal_reporter, name="reveal"),
]
