"""API of civicgrid.disputes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import DisputeViewSet, MediationOrganisationViewSet, RiskSchemeViewSet

router = SimpleRouter(trailing_slash=True)
router.register("disputes", DisputeViewSet, basename="api-dispute")
router.register(
    "mediation-organisations", MediationOrganisationViewSet, basename="api-mediation-organisation"
)
router.register("dispute-risk-schemes", RiskSchemeViewSet, basename="api-dispute-risk-scheme")

urlpatterns = router.urls
