"""Pages of civicgrid.disputes (the case page itself is the kernel's /cases/<number>/)."""

from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("disputes/", views.dispute_list, name="list"),
    path("disputes/new/", views.new_dispute, name="new"),
    path("disputes/red/", views.red_list, name="red"),
    path("disputes/figures/", views.figures, name="figures"),
    path("disputes/figures/cases/", views.figure_cases, name="figure_cases"),
    path("disputes/risk-scheme/", views.risk_scheme, name="risk_scheme"),
    path("disputes/risk-scheme/<int:pk>/activate/", views.activate_scheme, name="activate_scheme"),
    path("disputes/convert/<str:number>/", views.convert_event, name="convert"),
    path("disputes/<str:number>/sessions/", views.add_session, name="session"),
    path("disputes/<str:number>/visits/", views.add_visit, name="visit"),
    path("disputes/<str:number>/risk/", views.grade, name="grade"),
    path("disputes/<str:number>/parties/", views.add_party, name="party"),
    path("disputes/<str:number>/parties/<int:pk>/reveal/", views.reveal_party, name="reveal_party"),
    path("disputes/<str:number>/agreement.<str:fmt>", views.agreement, name="agreement"),
]
