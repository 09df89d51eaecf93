"""Open311 clients and their call log in the admin: read-only (clients are created, rotated and
revoked with the open311_client command, so every change goes through the audited services)."""

from django.contrib import admin

from civicgrid.audit.admin import ReadOnlyAdmin

from .models import Call, Client


@admin.register(Client)
class ClientAdmin(ReadOnlyAdmin):
    list_display = ["name", "area", "requests_per_minute", "revoked_at", "created_at"]
    search_fields = ["name"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["time", "client", "method", "endpoint", "status", "error_code", "case_number", "ip"]
    list_filter = ["endpoint", "status"]
    search_fields = ["case_number", "request_id"]
