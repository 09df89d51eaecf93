from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "civicgrid.disputes"
    label = "disputes"
    verbose_name = _("矛盾纠纷")
    default_auto_field = "django.db.models.BigAutoField"
