from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "civicgrid.web"
    verbose_name = _("界面")

    def ready(self):
        from civicgrid.core.periodic import register_periodic

        from .tasks import CLEAR_SESSIONS_SECONDS, clear_expired_sessions

        register_periodic("web.clear_sessions", CLEAR_SESSIONS_SECONDS, clear_expired_sessions)
