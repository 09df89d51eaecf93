"""The audit logs in the admin: read-only (rows are appended only by audit.services, and any edit
would break the hash chain)."""

from django.contrib import admin

from .models import AccessLog, ObjectChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse only. CivicGrid writes go through services (validation + audit row); the admin's own
    save/delete would bypass both, so they are switched off. Other apps' admins reuse this."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_COMMON = ("time", "actor_username", "object_type", "object_id", "object_repr", "request_id")


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    list_display = ("time", "actor_username", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_username", "request_id", "object_id")
    readonly_fields = (*_COMMON, "action", "before", "after", "prev_hash", "hash", "hash_alg")
    date_hierarchy = "time"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("time", "actor_username", "object_type", "object_repr", "purpose")
    list_filter = ("object_type",)
    search_fields = ("object_repr", "actor_username", "request_id", "object_id")
    readonly_fields = (*_COMMON, "fields", "purpose", "prev_hash", "hash", "hash_alg")
    date_hierarchy = "time"
