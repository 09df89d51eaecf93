"""Pages of civicgrid.petitions."""

app_name = "petitions"

urlpatterns: list = []
