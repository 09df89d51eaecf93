"""The holiday calendar in the admin, read-only: schedules are entered through
calendars.services (`manage.py enter_holidays`, `manage.py seed_calendar`), which validate every row,
write the audit rows and make every process reload the calendar."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import CalendarDay, CalendarYear


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "status", "source", "entered_at", "entered_by")
    list_filter = ("status",)


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "note")
    list_filter = ("kind", "name")
    search_fields = ("name", "note")
    date_hierarchy = "date"
