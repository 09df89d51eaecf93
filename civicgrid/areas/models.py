"""The area tree (行政区划), grids (网格) and specialised grid layers (多网合一).

Every place carries a materialized path of its significant code prefixes ("11/1101/110101/…/"), which
is what area scope filters on. A grid's path is its village's path plus its own code, so a grant on a
grid (a grid worker's) covers exactly the rows located in that grid.
Geometries are GeoJSON geometry dicts in WGS-84; the spatial index lives in memory (spatial_index.py).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import ScopedModel, TimeStampedModel

from .choices import AreaLevel, GridKind, UrbanRural


class Area(ScopedModel, TimeStampedModel):
    """One administrative division at any of the levels, keyed by its 12-digit statistical code."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    vintage = models.PositiveSmallIntegerField(_("代码版本年份"), help_text=_("统计用区划代码的版本年份"))
    level = models.CharField(_("层级"), max_length=10, choices=AreaLevel.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    urban_rural = models.CharField(_("城乡分类代码"), max_length=3, choices=UrbanRural.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=64, unique=True)
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 几何（WGS-84）"))
    is_active = models.BooleanField(_("有效"), default=True, help_text=_("撤销的区划保留历史，不再使用"))

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = pgettext_lazy("plural", "行政区划")
        ordering = ["code"]
        permissions = [("import_area", _("可导入区划与网格")), ("export_area", _("可导出区划与网格"))]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class AreaCodeChange(models.Model):
    """History of code/name changes between vintages (codes change yearly)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="code_changes")
    vintage = models.PositiveSmallIntegerField(_("版本年份"))
    old_code = models.CharField(_("原代码"), max_length=12)
    new_code = models.CharField(_("新代码"), max_length=12)
    old_name = models.CharField(_("原名称"), max_length=100)
    new_name = models.CharField(_("新名称"), max_length=100)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("区划代码变更")
        verbose_name_plural = pgettext_lazy("plural", "区划代码变更")

    def __str__(self):
        return f"{self.vintage}: {self.old_code} → {self.new_code}"


class GridLayer(TimeStampedModel):
    """A grid layer. Exactly one layer is the master (综治网格, held by `Grid`); specialised layers
    (城管, 应急, 市场监管 …) hold `LayerCell`s mapped onto master grids."""

    code = models.SlugField(_("图层代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_master = models.BooleanField(_("主图层"), default=False)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("网格图层")
        verbose_name_plural = pgettext_lazy("plural", "网格图层")
        ordering = ["-is_master", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_master"], condition=models.Q(is_master=True), name="one_master_layer"
            )
        ]

    def __str__(self):
        return self.name


class Grid(ScopedModel, TimeStampedModel):
    """A comprehensive (master-layer) grid: the smallest unit of management, inside one village."""

    code = models.CharField(_("网格编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    village = models.ForeignKey(
        Area,
        verbose_name=_("所属村/社区"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": AreaLevel.VILLAGE},
    )
    path = models.CharField(_("路径"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=GridKind.choices, default=GridKind.BASE)
    parent_grid = models.ForeignKey(
        "self",
        verbose_name=_("所在基础网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dedicated_grids",
        help_text=_("专属网格所在的基础网格"),
    )
    boundary = models.JSONField(_("边界"), null=True, blank=True, help_text=_("GeoJSON 几何（WGS-84）"))
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), blank=True, related_name="worker_grids"
    )
    supervision_phone = models.CharField(_("监督电话"), max_length=30, blank=True)
    notice = models.TextField(_("公示说明"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = pgettext_lazy("plural", "网格")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class LayerCell(ScopedModel, TimeStampedModel):
    """A cell of a specialised layer (e.g. a 城管 responsibility block), mapped onto master grids."""

    layer = models.ForeignKey(
        GridLayer, verbose_name=_("图层"), on_delete=models.PROTECT, related_name="cells"
    )
    code = models.CharField(_("单元编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="layer_cells"
    )
    path = models.CharField(_("路径"), max_length=64, db_index=True)
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    master_grids = models.ManyToManyField(
        Grid, verbose_name=_("对应主网格"), blank=True, related_name="layer_cells"
    )

    class Meta:
        verbose_name = _("专业网格单元")
        verbose_name_plural = pgettext_lazy("plural", "专业网格单元")
        ordering = ["layer", "code"]
        constraints = [models.UniqueConstraint(fields=["layer", "code"], name="unique_cell_code_per_layer")]

    def __str__(self):
        return f"{self.layer.name}·{self.name}"


class SpatialIndexVersion(models.Model):
    """A counter bumped on every grid/area geometry change, so each process can tell that its
    in-memory index is stale and rebuild it (cross-process invalidation without a broker)."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} v{self.version}"
