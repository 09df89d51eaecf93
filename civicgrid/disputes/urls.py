"""Pages of civicgrid.disputes."""

app_name = "disputes"

urlpatterns: list = []
