from rest_framework.routers import SimpleRouter

from .views import NotificationViewSet, OutboundMessageViewSet

router = SimpleRouter(trailing_slash=True)
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("outbound-messages", OutboundMessageViewSet, basename="api-outboundmessage")
urlpatterns = router.urls
