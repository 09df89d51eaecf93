"""API of civicgrid.petitions under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import PetitionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("petitions", PetitionViewSet, basename="api-petition")

urlpatterns = router.urls
