from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "civicgrid.disputes"
    label = "disputes"
    verbose_name = _("矛盾纠纷")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civicgrid.cases.kinds import register_kind

        from .services import DISPUTE_KIND

        # The kernel reaches the dispute kind only through this registry (it never imports disputes).
        register_kind(DISPUTE_KIND)
        from .pages import register_dispute_pages

        register_dispute_pages()
        from civicgrid.core.periodic import register_periodic

        from .tasks import REGRADE_SECONDS, regrade_overdue_disputes

        register_periodic("disputes.regrade", REGRADE_SECONDS, regrade_overdue_disputes)
