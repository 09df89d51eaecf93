"""Pages of civicgrid.petitions: staff pages under /petitions/, the petitioner's public pages under
/citizen/petitions/ (number + query code, no login)."""

from django.urls import path

from . import citizen, views

app_name = "petitions"

urlpatterns = [
    path("petitions/", views.petition_list, name="list"),
    path("petitions/new/", views.new_petition, name="new"),
    path("petitions/figures/", views.figures, name="figures"),
    path("petitions/<str:number>/parties/<int:pk>/reveal/", views.reveal_party, name="reveal"),
    path(
        "petitions/<str:number>/documents/<slug:code>.<slug:fmt>",
        views.document,
        name="document",
    ),
    path("citizen/petitions/", citizen.follow, name="citizen_follow"),
    path("citizen/petitions/<str:number>/", citizen.case_page, name="citizen_case"),
    path("citizen/petitions/<str:number>/rate/", citizen.rate, name="citizen_rate"),
]
