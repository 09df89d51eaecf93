from rest_framework.routers import SimpleRouter

from .views import CategoryViewSet, DispatchRuleViewSet

router = SimpleRouter(trailing_slash=True)
router.register("event-categories", CategoryViewSet, basename="api-event-category")
router.register("dispatch-rules", DispatchRuleViewSet, basename="api-dispatch-rule")

urlpatterns = router.urls
