"""The leaders' dashboard (领导驾驶舱) and the drill-down behind its figures."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/cases/", views.drill, name="drill"),
]
