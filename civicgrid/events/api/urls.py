from rest_framework.routers import SimpleRouter

from .event_views import EventViewSet
from .views import CategoryViewSet, DispatchRuleViewSet

router = SimpleRouter(trailing_slash=True)
router.register("event-categories", CategoryViewSet, basename="api-event-category")
router.register("dispatch-rules", DispatchRuleViewSet, basename="api-dispatch-rule")
router.register("events", EventViewSet, basename="api-event")

urlpatterns = router.urls
