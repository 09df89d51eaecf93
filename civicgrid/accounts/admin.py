"""People and access in the admin, read-only, with personal data masked: accounts, grants and
tokens are written through accounts.services (the API, management commands), which enforce the
no-escalation rule and write the audit row; revealing personal data is the API's audited action."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin import ReadOnlyAdmin
from civicgrid.core.personal_data import mask_id_card, mask_name, mask_phone

from .models import ApiToken, Role, RoleAssignment, Unit, User


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "area", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("area",)
    search_fields = ("code", "name")


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "masked_name", "masked_phone", "unit", "area", "is_active")
    list_filter = ("is_active", "is_superuser")
    list_select_related = ("unit", "area")
    search_fields = ("username",)
    fields = (
        "username",
        "masked_name",
        "masked_phone",
        "masked_id_card",
        "email",
        "unit",
        "area",
        "is_active",
        "last_login",
        "date_joined",
    )
    readonly_fields = fields

    @admin.display(description=_("姓名"))
    def masked_name(self, obj):
        return mask_name(obj.display_name)

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("身份证号"))
    def masked_id_card(self, obj):
        return mask_id_card(obj.id_card)


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "is_system", "is_active")
    filter_horizontal = ("permissions",)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "area", "grid", "scope_path")
    list_select_related = ("user", "role", "area", "grid")
    list_filter = ("role",)
    search_fields = ("user__username", "scope_path")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "expires_at", "revoked_at", "last_used_at")
    list_select_related = ("user",)
    exclude = ("digest",)
    readonly_fields = ("user", "name", "prefix", "hash_alg", "expires_at", "revoked_at", "last_used_at")
