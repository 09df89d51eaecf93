"""Area browser pages: the tree, lazy-loaded children, the grids of an area as GeoJSON, grid pages."""

from django.urls import path

from . import views

app_name = "areas"

urlpatterns = [
    path("areas/", views.area_browser, name="browser"),
    path("areas/<str:code>/", views.area_browser, name="detail"),
    path("areas/<str:code>/children/", views.area_children, name="children"),
    path("areas/<str:code>/grids.geojson", views.area_grids_geojson, name="grids_geojson"),
    path("grids/<str:code>/", views.grid_detail, name="grid"),
]
