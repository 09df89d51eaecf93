from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "civicgrid.areas"
    verbose_name = _("区划与网格")

    def ready(self):
        from . import spatial_index  # noqa: F401  (registers the cross-process index invalidation)
