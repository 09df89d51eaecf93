"""Pages of civicgrid.desk."""

app_name = "desk"

urlpatterns: list = []
