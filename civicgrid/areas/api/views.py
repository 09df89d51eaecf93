"""The areas API: areas, grids, grid layers and their cells, and point location.

Reads are scoped by `restrict`; writes go through `areas.services`. Missing and out-of-scope objects are the same 404.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.core.api import HoldsActionSomewhere, ScopedModelViewSet, ScopedReadOnlyViewSet
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import path_in_scope

from .. import services
from ..choices import Crs
from ..codes import CodeError, area_path
from ..models import Area, Grid, GridLayer, LayerCell
from . import serializers as s
from .filtersets import AreaFilterSet, GridFilterSet, LayerCellFilterSet


def _geometry_args(data: dict) -> dict:
    """The boundary and its declared CRS, passed on only when a boundary was sent."""
    if "boundary" not in data:
        return {}
    return {"boundary": data["boundary"], "crs": data.get("crs") or Crs.WGS84}


@extend_schema_view(
    list=extend_schema(summary=_("行政区划列表")),
    retrieve=extend_schema(summary=_("行政区划详情（含边界）")),
    create=extend_schema(request=s.AreaCreateSerializer, responses={201: s.AreaDetailSerializer}),
    update=extend_schema(request=s.AreaUpdateSerializer, responses=s.AreaDetailSerializer),
    partial_update=extend_schema(request=s.AreaUpdateSerializer, responses=s.AreaDetailSerializer),
)
class AreaViewSet(ScopedModelViewSet):
    queryset = Area.objects.all()
    filterset_class = AreaFilterSet
    serializer_class = s.AreaDetailSerializer

    def get_serializer_class(self):
        if self.action == "list":
            return s.AreaSerializer
        if self.action == "create" and self.request.method == "POST":
            return s.AreaCreateSerializer
        if self.action in ("update", "partial_update") and self.request.method in ("PUT", "PATCH"):
            return s.AreaUpdateSerializer
        return s.AreaDetailSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.defer("boundary") if self.action == "list" else qs

    def create(self, request, *args, **kwargs):
        serializer = s.AreaCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            path = area_path(data["code"])
        except CodeError as exc:
            raise ServiceError("invalid_code", str(exc), field="code") from exc
        # The new area hangs under its parent: the grant must cover where it will sit. The message
        # does not depend on whether the parent exists, so it reveals nothing out of reach.
        if not path_in_scope(request.user, "areas.add_area", path):
            raise ServiceError(
                "out_of_scope",
                _("区划代码“%(code)s”不在您的管辖范围内。") % {"code": data["code"]},
                field="code",
            )
        return self._write(
            lambda: services.do_create_area(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                vintage=data["vintage"],
                urban_rural=data.get("urban_rural", ""),
                **_geometry_args(data),
            ),
            "create",
            status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = s.AreaUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k not in ("boundary", "crs")}
        changes.update(_geometry_args(serializer.validated_data))
        return self._write(
            lambda: services.do_update_area(instance, actor=request.user, **changes),
            "update",
            status.HTTP_200_OK,
        )

    def _write(self, call, action_name, code):
        from django.db import transaction

        with transaction.atomic():
            instance = call()
            self.assert_still_in_scope(instance, action_name)
        return Response(s.AreaDetailSerializer(instance).data, status=code)

    def perform_destroy(self, instance):
        services.do_delete_area(instance, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(summary=_("网格列表")),
    retrieve=extend_schema(summary=_("网格详情（含边界与公示信息）")),
    create=extend_schema(request=s.GridCreateSerializer, responses={201: s.GridDetailSerializer}),
    update=extend_schema(request=s.GridUpdateSerializer, responses=s.GridDetailSerializer),
    partial_update=extend_schema(request=s.GridUpdateSerializer, responses=s.GridDetailSerializer),
)
class GridViewSet(ScopedModelViewSet):
    queryset = Grid.objects.select_related("village").prefetch_related("workers")
    filterset_class = GridFilterSet
    serializer_class = s.GridDetailSerializer
    verb_for_action = {**ScopedModelViewSet.verb_for_action, "set_workers": "change"}

    def get_serializer_class(self):
        if self.action == "list":
            return s.GridSerializer
        if self.action == "create" and self.request.method == "POST":
            return s.GridCreateSerializer
        if self.action in ("update", "partial_update") and self.request.method in ("PUT", "PATCH"):
            return s.GridUpdateSerializer
        if self.action == "set_workers":
            return s.GridWorkersSerializer
        return s.GridDetailSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.defer("boundary") if self.action == "list" else qs

    def _respond(self, instance, code=status.HTTP_200_OK):
        instance = Grid.objects.prefetch_related("workers").get(pk=instance.pk)
        return Response(s.GridDetailSerializer(instance).data, status=code)

    def create(self, request, *args, **kwargs):
        from django.db import transaction

        serializer = s.GridCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        geometry = _geometry_args(data)
        data.pop("boundary", None)
        data.pop("crs", None)
        with transaction.atomic():
            grid = services.do_create_grid(actor=request.user, **data, **geometry)
            self.assert_still_in_scope(grid, "create")
        return self._respond(grid, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        from django.db import transaction

        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()
            serializer = s.GridUpdateSerializer(
                data=request.data, partial=partial, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            changes = {k: v for k, v in serializer.validated_data.items() if k not in ("boundary", "crs")}
            changes.update(_geometry_args(serializer.validated_data))
            grid = services.do_update_grid(instance, actor=request.user, **changes)
            self.assert_still_in_scope(grid, "update")
        return self._respond(grid)

    def perform_destroy(self, instance):
        services.do_delete_grid(instance, actor=self.request.user)

    @extend_schema(request=s.GridWorkersSerializer, responses=s.GridDetailSerializer, summary=_("设置网格员"))
    @action(detail=True, methods=["post"], url_path="workers")
    def set_workers(self, request, pk=None):
        from django.db import transaction

        with transaction.atomic():
            grid = self.get_object()
            serializer = s.GridWorkersSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            services.do_set_grid_workers(grid, serializer.validated_data["workers"], actor=request.user)
        return self._respond(grid)


class GridLayerViewSet(viewsets.ReadOnlyModelViewSet):
    """Grid layers are not located anywhere: anyone who may view layers somewhere sees the list."""

    queryset = GridLayer.objects.all()
    serializer_class = s.GridLayerSerializer
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    pagination_class = None

    def scope_action(self, action=None):
        return "areas.view_gridlayer"


class LayerCellViewSet(ScopedReadOnlyViewSet):
    queryset = LayerCell.objects.prefetch_related("master_grids")
    serializer_class = s.LayerCellSerializer
    filterset_class = LayerCellFilterSet


def _place(obj, with_level=False) -> dict:
    data = {"id": obj.pk, "code": obj.code, "name": obj.name}
    if with_level:
        data["level"] = getattr(obj, "level", "")
    return data


def _visible(user, action, obj) -> bool:
    return obj is not None and path_in_scope(user, action, getattr(obj, "path", None))


class LocateView(APIView):
    """Which grid and areas a point lies in. Only what the requester may view is named: a point in
    a grid out of reach says `in_grid: true` with `grid: null`."""

    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]

    def scope_action(self, action=None):
        return "areas.view_area"

    @extend_schema(
        summary=_("坐标定位到网格与区划"),
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True, description=_("经度")),
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description=_("纬度")),
            OpenApiParameter("crs", OpenApiTypes.STR, enum=Crs.values, description=_("坐标系，默认 wgs84")),
        ],
        responses=s.LocateResponseSerializer,
    )
    def get(self, request):
        from civicgrid.areas.coords import CoordinateError
        from civicgrid.areas.locate import locate

        values = {}
        for field, label in (("lon", _("经度")), ("lat", _("纬度"))):
            raw = request.query_params.get(field, "").strip()
            if not raw:
                raise ServiceError("required", _("%(label)s不能为空。") % {"label": label}, field=field)
            try:
                values[field] = float(raw)
            except ValueError as exc:
                raise ServiceError(
                    "invalid", _("%(label)s必须是数字。") % {"label": label}, field=field
                ) from exc
        crs = request.query_params.get("crs", Crs.WGS84) or Crs.WGS84
        if crs not in Crs.values:
            raise ServiceError(
                "invalid",
                _("坐标系“%(crs)s”无效，可选：%(all)s。") % {"crs": crs, "all": ", ".join(Crs.values)},
                field="crs",
            )
        try:
            result = locate(values["lon"], values["lat"], crs)
        except CoordinateError as exc:
            raise ServiceError(getattr(exc, "code", "invalid"), str(exc.message), field=exc.field) from exc
        return Response(self.describe(request.user, result, values))

    @staticmethod
    def describe(user, result, values) -> dict:
        grid = result.grid
        cells = list(result.cells.values())
        visible_cells = (
            set(
                LayerCell.objects.restrict(user, "areas.view_layercell")
                .filter(pk__in=[c.id for c in cells])
                .values_list("pk", flat=True)
            )
            if cells
            else set()
        )
        return {
            "status": result.status,
            "lon": result.lon,
            "lat": result.lat,
            "in_grid": grid is not None,
            "grid": _place(grid) if _visible(user, "areas.view_grid", grid) else None,
            "areas": [
                _place(a, with_level=True) for a in result.areas if _visible(user, "areas.view_area", a)
            ],
            "cells": [_place(c) for c in cells if c.id in visible_cells],
            "reason": str(result.reason),
        }
