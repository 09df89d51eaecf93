"""URLs of open311."""

app_name = "open311"
urlpatterns: list = []
