from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "civicgrid.notifications"
    verbose_name = _("通知与后台任务")

    def ready(self):
        # The sweep that delivers messages whose retry time has come and recovers messages whose
        # worker died mid-send (lease expired). Case timers register their own jobs the same way.
        from civicgrid.core.periodic import register_periodic

        from .delivery import SWEEP_INTERVAL_SECONDS
        from .tasks import deliver_due_outbound

        register_periodic("notifications.deliver_due", SWEEP_INTERVAL_SECONDS, deliver_due_outbound)
