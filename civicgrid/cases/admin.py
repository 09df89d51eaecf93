"""Read-only admin views of the kernel's tables: writes go through the services (workflow,
version, timeline and audit), never through an admin form."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import Assignment, Case, CaseDeadline, TimelineEntry


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    readonly_fields = [
        "unit",
        "role",
        "status",
        "designated",
        "assigned_at",
        "accepted_at",
        "objection_reason",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = CaseDeadline
    extra = 0
    can_delete = False
    fields = ["name", "amount", "unit", "started_at", "due_date", "provisional", "state", "extension_granted"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "title",
        "status",
        "handling_level",
        "supervision",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["kind", "handling_level", "supervision"]
    search_fields = ["number", "title"]
    inlines = [AssignmentInline, DeadlineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "cases.view_case")


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "action", "actor", "from_status", "to_status", "time"]
    list_filter = ["kind"]
