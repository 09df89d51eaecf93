"""Pages of civicgrid.desk."""

from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/panel/", views.dashboard_panel, name="panel"),
    path("desk/visits/<int:pk>/", views.visit_detail, name="visit"),
    path("desk/visits/<int:pk>/route/", views.visit_route, name="route"),
    path("desk/visits/<int:pk>/answer/", views.visit_answer, name="answer"),
    path("desk/visits/<int:pk>/urge/", views.visit_urge, name="urge"),
    path("desk/visits/<int:pk>/people/<int:party_id>/reveal/", views.visit_reveal, name="reveal"),
    path("desk/visits/<int:pk>/receipt/", views.visit_receipt, name="receipt"),
]
