from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "civicgrid.assessment"
    verbose_name = _("考核评价")

    def ready(self):
        from .signals import connect
        from .tasks import register_rollups

        connect()
        register_rollups()
