from rest_framework.routers import SimpleRouter

from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
from .views import ApiTokenViewSet, RoleAssignmentViewSet, RoleViewSet, UnitViewSet, UserViewSet

router = SimpleRouter(trailing_slash=True)
router.register("units", UnitViewSet, basename="api-unit")
router.register("users", UserViewSet, basename="api-user")
router.register("roles", RoleViewSet, basename="api-role")
router.register("role-assignments", RoleAssignmentViewSet, basename="api-roleassignment")
router.register("api-tokens", ApiTokenViewSet, basename="api-apitoken")
urlpatterns = router.urls
