"""The taxonomy and the dispatch catalogue in the admin, read-only: writes go through
events.taxonomy_services (the API, `load_taxonomy`), which validate and write the audit row."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import Category, DispatchRule


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "parent",
        "priority",
        "response_amount",
        "response_unit",
        "handling_amount",
        "handling_unit",
        "emergency_transfer",
        "auto_escalate",
        "is_active",
    )
    list_filter = ("priority", "emergency_transfer", "auto_escalate", "is_active", "parent")
    list_select_related = ("parent",)
    search_fields = ("code", "name", "description")


@admin.register(DispatchRule)
class DispatchRuleAdmin(ReadOnlyAdmin):
    list_display = ("category", "area", "lead_unit", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("category", "area", "lead_unit")
    search_fields = ("category__code", "category__name", "area__name", "lead_unit__name")
