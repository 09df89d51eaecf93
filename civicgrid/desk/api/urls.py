"""API of civicgrid.desk under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import VisitViewSet

router = SimpleRouter(trailing_slash=True)
router.register("desk/visits", VisitViewSet, basename="api-desk-visit")

urlpatterns = router.urls
