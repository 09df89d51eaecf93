from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civicgrid.open311"
    label = "open311"
    verbose_name = _("Open311 接口")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civicgrid.core.periodic import register_periodic

        from .tasks import PURGE_SECONDS, purge_old_calls

        register_periodic("open311.purge_calls", PURGE_SECONDS, purge_old_calls)
