from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    verbose_name = _("案件内核")

    def ready(self):
        from civicgrid.calendars.hooks import on_schedule_entered

        from .clocks import recompute_provisional
        from .timers import register_sweep

        # A schedule entered for a year reached by provisional deadlines recomputes them.
        on_schedule_entered(recompute_provisional)
        # The deadline sweep (yellow, red, auto-escalation) runs as a periodic job of the worker.
        register_sweep()
