from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "civicgrid.petitions"
    label = "petitions"
    verbose_name = _("信访")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civicgrid.cases.kinds import register_kind

        from .services import PETITION_KIND

        # The kernel reaches the petition kind only through this registry.
        register_kind(PETITION_KIND)
        from .pages import register_petition_pages

        register_petition_pages()
