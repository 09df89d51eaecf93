"""Admin: notifications and periodic jobs read-only; outbound messages read-only with addresses
masked, plus a "requeue" action for failed ones."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.admin import ReadOnlyAdmin

from .addresses import mask_address
from .delivery import do_requeue_outbound_message
from .models import Notification, OutboundMessage, PeriodicJob


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "recipient", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "idempotency_key"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "channel", "masked_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    # The raw address is never rendered: it is personal data (shown masked instead).
    exclude = ["address"]
    readonly_fields = ["masked_address"]
    actions = ["requeue"]

    @admin.display(description=_("收件地址"))
    def masked_address(self, obj):
        return mask_address(obj.channel, obj.address)

    @admin.action(description=_("重新发送选中的失败消息"))
    def requeue(self, request, queryset):
        count = sum(do_requeue_outbound_message(m, actor=request.user) for m in queryset)
        self.message_user(request, _("已重新排队 %(count)d 条消息。") % {"count": count})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("notifications.change_outboundmessage"):
            actions.pop("requeue", None)
        return actions


@admin.register(PeriodicJob)
class PeriodicJobAdmin(admin.ModelAdmin):
    list_display = ["name", "interval_seconds", "enabled", "last_run_at", "next_run_at", "last_worker"]
    readonly_fields = [
        "name",
        "interval_seconds",
        "last_run_at",
        "next_run_at",
        "last_task_id",
        "last_worker",
    ]
    fields = [
        "name",
        "enabled",
        "interval_seconds",
        "last_run_at",
        "next_run_at",
        "last_task_id",
        "last_worker",
    ]

    def has_add_permission(self, request):
        return False
