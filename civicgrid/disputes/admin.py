"""Mediation organisations and risk schemes in the admin, read-only: writes go through
`disputes.organisations` and `disputes.risk` (the API and the /disputes/risk-scheme/ page), which
check the values, the scope and write the audit row."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import MediationOrganisation, RiskScheme


@admin.register(MediationOrganisation)
class MediationOrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "area", "phone", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("area",)
    search_fields = ("name", "area__name", "area__code")


@admin.register(RiskScheme)
class RiskSchemeAdmin(ReadOnlyAdmin):
    list_display = ("name", "is_active", "group_size", "repeat_threshold", "updated_at")
    list_filter = ("is_active",)
