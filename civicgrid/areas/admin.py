"""Places in the admin, read-only: areas and grids are written through areas.services (the API,
the import commands), which validate codes and geometry and write the audit row."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import Area, AreaCodeChange, Grid, GridLayer, LayerCell


@admin.register(Area)
class AreaAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "vintage", "urban_rural", "is_active")
    list_filter = ("level", "is_active", "vintage")
    search_fields = ("code", "name")
    exclude = ("boundary",)  # megabytes of coordinates are no use in a form
    readonly_fields = ("code", "name", "level", "vintage", "urban_rural", "parent", "path", "is_active")


@admin.register(AreaCodeChange)
class AreaCodeChangeAdmin(ReadOnlyAdmin):
    list_display = ("vintage", "old_code", "new_code", "old_name", "new_name", "changed_at")


@admin.register(GridLayer)
class GridLayerAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "is_master")


@admin.register(Grid)
class GridAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "village", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("village",)
    search_fields = ("code", "name")
    exclude = ("boundary", "workers")
    readonly_fields = (
        "code",
        "name",
        "kind",
        "village",
        "path",
        "parent_grid",
        "supervision_phone",
        "notice",
        "is_active",
    )


@admin.register(LayerCell)
class LayerCellAdmin(ReadOnlyAdmin):
    list_display = ("layer", "code", "name", "area")
    list_select_related = ("layer", "area")
    exclude = ("boundary", "master_grids")
    readonly_fields = ("layer", "code", "name", "area", "path")
