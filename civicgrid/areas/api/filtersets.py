"""Filters of the areas API. Related objects are filtered by id with plain number filters, so an
out-of-scope id narrows the result to nothing instead of revealing whether it exists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import AreaLevel, GridKind
from ..models import Area, Grid, LayerCell


class AreaFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("区划代码"))
    level = django_filters.ChoiceFilter(label=_("层级"), choices=AreaLevel.choices)
    parent = django_filters.NumberFilter(label=_("上级区划"), field_name="parent_id")
    name = django_filters.CharFilter(label=_("名称包含"), lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = Area
        fields = ["code", "level", "parent", "name", "is_active"]


class GridFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("网格编码"))
    village = django_filters.NumberFilter(label=_("所属村/社区"), field_name="village_id")
    within = django_filters.CharFilter(label=_("位于区划（代码）"), method="filter_within")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=GridKind.choices)
    name = django_filters.CharFilter(label=_("名称包含"), lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = Grid
        fields = ["code", "village", "within", "kind", "name", "is_active"]

    def filter_within(self, queryset, name, value):
        area = Area.objects.filter(code=value).only("path").first()
        return queryset.filter(path__startswith=area.path) if area else queryset.none()


class LayerCellFilterSet(django_filters.FilterSet):
    layer = django_filters.NumberFilter(label=_("图层"), field_name="layer_id")
    area = django_filters.NumberFilter(label=_("所属区划"), field_name="area_id")
    code = django_filters.CharFilter(label=_("单元编码"))

    class Meta:
        model = LayerCell
        fields = ["layer", "area", "code"]
