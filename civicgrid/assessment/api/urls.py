from rest_framework.routers import SimpleRouter

from .views import DensityViewSet, ExclusionViewSet, FiguresViewSet, SchemeViewSet

router = SimpleRouter(trailing_slash=True)
router.register("assessment/figures", FiguresViewSet, basename="api-assessment-figures")
router.register("assessment/density", DensityViewSet, basename="api-assessment-density")
router.register("assessment/schemes", SchemeViewSet, basename="api-assessment-scheme")
router.register("assessment/exclusions", ExclusionViewSet, basename="api-assessment-exclusion")

urlpatterns = router.urls
