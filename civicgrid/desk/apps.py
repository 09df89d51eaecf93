from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "civicgrid.desk"
    label = "desk"
    verbose_name = _("综治中心一站式受理")
    default_auto_field = "django.db.models.BigAutoField"
