"""Command-centre pages: the inbox, the case page and the case's action forms."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.inbox, name="inbox"),
    path("cases/<str:number>/", views.case_detail, name="detail"),
    path("cases/<str:number>/actions/<slug:action>/", views.case_action, name="act"),
    path("cases/<str:number>/parties/<int:pk>/remove/", views.remove_party, name="remove_party"),
]
