"""API of civicgrid.desk under /api/v1/."""

urlpatterns: list = []
