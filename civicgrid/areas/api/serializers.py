"""Serializers of the areas API. They check the shape of input only; rules live in areas.services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.core.api import ScopedRelatedField

from ..choices import AreaLevel, Crs, GridKind
from ..models import Area, Grid, GridLayer, LayerCell

GEOMETRY_HELP = _("GeoJSON 几何（Polygon 或 MultiPolygon），坐标系由 crs 指明")


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "code", "vintage", "level", "name", "urban_rural", "parent", "path", "is_active"]
        read_only_fields = fields


class AreaDetailSerializer(AreaSerializer):
    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary", "created_at", "updated_at"]
        read_only_fields = fields


class AreaCreateSerializer(serializers.Serializer):
    code = serializers.CharField(label=_("区划代码"), max_length=12)
    name = serializers.CharField(label=_("名称"), max_length=100)
    vintage = serializers.IntegerField(label=_("代码版本年份"), min_value=1980, max_value=2100)
    urban_rural = serializers.CharField(
        label=_("城乡分类代码"), max_length=3, required=False, allow_blank=True, default=""
    )
    boundary = serializers.JSONField(
        label=_("边界"), required=False, allow_null=True, default=None, help_text=GEOMETRY_HELP
    )
    crs = serializers.ChoiceField(label=_("坐标系"), choices=Crs.choices, default=Crs.WGS84)


class AreaUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("名称"), max_length=100, required=False)
    vintage = serializers.IntegerField(
        label=_("代码版本年份"), min_value=1980, max_value=2100, required=False
    )
    urban_rural = serializers.CharField(
        label=_("城乡分类代码"), max_length=3, required=False, allow_blank=True
    )
    boundary = serializers.JSONField(
        label=_("边界"), required=False, allow_null=True, help_text=GEOMETRY_HELP
    )
    crs = serializers.ChoiceField(label=_("坐标系"), choices=Crs.choices, required=False)
    is_active = serializers.BooleanField(label=_("有效"), required=False)


class GridWorkerSerializer(serializers.Serializer):
    """A grid worker as the public notice (公示) shows them: name and phone are public by design."""

    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)


class GridSerializer(serializers.ModelSerializer):
    workers = GridWorkerSerializer(many=True, read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "village",
            "path",
            "kind",
            "parent_grid",
            "supervision_phone",
            "notice",
            "is_active",
            "workers",
        ]
        read_only_fields = fields


class GridDetailSerializer(GridSerializer):
    class Meta(GridSerializer.Meta):
        fields = [*GridSerializer.Meta.fields, "boundary", "created_at", "updated_at"]
        read_only_fields = fields


class GridCreateSerializer(serializers.Serializer):
    village = ScopedRelatedField(
        label=_("所属村/社区"), queryset=Area.objects.filter(level=AreaLevel.VILLAGE), action="areas.add_grid"
    )
    code = serializers.CharField(label=_("网格编码"), max_length=20)
    name = serializers.CharField(label=_("名称"), max_length=100)
    kind = serializers.ChoiceField(label=_("类型"), choices=GridKind.choices, default=GridKind.BASE)
    boundary = serializers.JSONField(
        label=_("边界"), required=False, allow_null=True, default=None, help_text=GEOMETRY_HELP
    )
    crs = serializers.ChoiceField(label=_("坐标系"), choices=Crs.choices, default=Crs.WGS84)
    parent_grid = ScopedRelatedField(
        label=_("所在基础网格"), queryset=Grid.objects.all(), required=False, allow_null=True, default=None
    )
    supervision_phone = serializers.CharField(
        label=_("监督电话"), max_length=30, required=False, allow_blank=True, default=""
    )
    notice = serializers.CharField(label=_("公示说明"), required=False, allow_blank=True, default="")


class GridUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("名称"), max_length=100, required=False)
    kind = serializers.ChoiceField(label=_("类型"), choices=GridKind.choices, required=False)
    boundary = serializers.JSONField(
        label=_("边界"), required=False, allow_null=True, help_text=GEOMETRY_HELP
    )
    crs = serializers.ChoiceField(label=_("坐标系"), choices=Crs.choices, required=False)
    parent_grid = ScopedRelatedField(
        label=_("所在基础网格"), queryset=Grid.objects.all(), required=False, allow_null=True
    )
    supervision_phone = serializers.CharField(
        label=_("监督电话"), max_length=30, required=False, allow_blank=True
    )
    notice = serializers.CharField(label=_("公示说明"), required=False, allow_blank=True)
    is_active = serializers.BooleanField(label=_("有效"), required=False)


class GridWorkersSerializer(serializers.Serializer):
    # Only people the requester may see can be named (out of reach reads as "does not exist").
    workers = ScopedRelatedField(
        label=_("网格员"),
        queryset=get_user_model().objects.filter(is_active=True),
        many=True,
        action="accounts.view_user",
    )


class GridLayerSerializer(serializers.ModelSerializer):
    class Meta:
        model = GridLayer
        fields = ["id", "code", "name", "is_master", "description"]
        read_only_fields = fields


class LayerCellSerializer(serializers.ModelSerializer):
    class Meta:
        model = LayerCell
        fields = ["id", "layer", "code", "name", "area", "path", "master_grids"]
        read_only_fields = fields


class LocatedPlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(required=False)


class LocateResponseSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text=_("定位结果：grid（落入网格）、area（仅落入区划）、unlocated（未定位）")
    )
    lon = serializers.FloatField(help_text=_("WGS-84 经度"))
    lat = serializers.FloatField(help_text=_("WGS-84 纬度"))
    in_grid = serializers.BooleanField(help_text=_("是否落入某个网格（即使该网格不在您的管辖范围内）"))
    grid = serializers.SerializerMethodField()
    areas = LocatedPlaceSerializer(many=True, help_text=_("您可查看的区划链，自上而下"))
    cells = serializers.SerializerMethodField()
    reason = serializers.CharField(help_text=_("未定位的原因"))

    @extend_schema_field(LocatedPlaceSerializer(allow_null=True))
    def get_grid(self, obj):
        return obj["grid"]

    @extend_schema_field(LocatedPlaceSerializer(many=True))
    def get_cells(self, obj):
        return obj["cells"]
