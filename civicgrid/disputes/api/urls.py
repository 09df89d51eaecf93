"""API of civicgrid.disputes under /api/v1/."""

urlpatterns: list = []
