"""The text layer in the admin.

* Text models: read-only rows; the actions "activate" and "deactivate" go through the services
  (city-wide permission check + audit row), never the admin's own save.
* Urgency rules: editable word lists; each save or delete is written to the audit log and the
  intake's rule cache is refreshed.
* Analyses, flags and corrections are not in the admin: they belong to cases and are read only
  through the case's scope (the API).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin import ReadOnlyAdmin
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import ServiceError

from . import services, urgency
from .models import TextModel, UrgencyRule


@admin.register(TextModel)
class TextModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "source", "is_active", "confidence_threshold", "created_by", "created_at")
    list_filter = ("is_active", "source")
    actions = ["activate", "deactivate"]

    def has_view_permission(self, request, obj=None):
        return services.can_manage_models(request.user, "activate") or super().has_view_permission(
            request, obj
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not services.can_manage_models(request.user, "activate"):
            actions.pop("activate", None)
            actions.pop("deactivate", None)
        return actions

    @admin.action(description=_("启用所选模型（仅选一个）"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个模型启用"), messages.ERROR)
            return
        try:
            model = services.do_activate_model(queryset.get(), actor=request.user)
        except ServiceError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(request, _("已启用模型 %(model)s") % {"model": model}, messages.SUCCESS)

    @admin.action(description=_("停用全部模型（改用关键词规则）"))
    def deactivate(self, request, queryset):
        try:
            services.do_deactivate_models(actor=request.user)
        except ServiceError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(request, _("已停用，事件分类建议改用关键词规则"), messages.SUCCESS)


@admin.register(UrgencyRule)
class UrgencyRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "reason", "is_active", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "reason")

    def save_model(self, request, obj, form, change):
        before = snapshot(UrgencyRule.objects.get(pk=obj.pk)) if change and obj.pk else None
        obj.words = [str(w).strip() for w in obj.words or () if str(w).strip()]
        obj.exclude = [str(w).strip() for w in obj.exclude or () if str(w).strip()]
        super().save_model(request, obj, form, change)
        record_change(
            actor=request.user,
            action=ChangeAction.UPDATE if change else ChangeAction.CREATE,
            instance=obj,
            before=before,
            after=snapshot(obj),
        )
        urgency.rule_cache.clear()

    def delete_model(self, request, obj):
        before = snapshot(obj)
        record_change(actor=request.user, action=ChangeAction.DELETE, instance=obj, before=before, after=None)
        super().delete_model(request, obj)
        urgency.rule_cache.clear()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
