from rest_framework.routers import SimpleRouter

from .views import AccessLogViewSet, ObjectChangeViewSet

router = SimpleRouter(trailing_slash=True)
router.register("audit/changes", ObjectChangeViewSet, basename="api-objectchange")
router.register("audit/access-logs", AccessLogViewSet, basename="api-accesslog")
urlpatterns = router.urls
