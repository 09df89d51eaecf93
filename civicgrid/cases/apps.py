from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    verbose_name = _("案件内核")

    def ready(self):
        from civicgrid.accounts.roles import sync_system_roles_after_migrate
        from civicgrid.calendars.hooks import on_schedule_entered

        from .clocks import recompute_provisional
        from .timers import register_sweep

        # A schedule entered for a year reached by provisional deadlines recomputes them.
        on_schedule_entered(recompute_provisional)
        # The built-in roles name cases permissions, which Django creates only when this app's
        # post_migrate runs (after accounts'): sync the roles again then, so a first migrate
        # already grants them.
        post_migrate.connect(sync_system_roles_after_migrate, sender=self)
        # The deadline sweep (yellow, red, auto-escalation) runs as a periodic job of the worker.
        register_sweep()
