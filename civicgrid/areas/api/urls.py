from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AreaViewSet, GridLayerViewSet, GridViewSet, LayerCellViewSet, LocateView

router = SimpleRouter(trailing_slash=True)
router.register("areas", AreaViewSet, basename="api-area")
router.register("grids", GridViewSet, basename="api-grid")
router.register("layers", GridLayerViewSet, basename="api-layer")
router.register("layer-cells", LayerCellViewSet, basename="api-layercell")

urlpatterns = [
    path("locate", LocateView.as_view(), name="api-locate"),
    *router.urls,
]
