"""API of civicgrid.petitions under /api/v1/."""

urlpatterns: list = []
