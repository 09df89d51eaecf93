"""URLs of textintel."""

app_name = "textintel"
urlpatterns: list = []
