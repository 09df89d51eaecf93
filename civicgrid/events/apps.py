from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "civicgrid.events"
    verbose_name = _("事件（工单）")

    def ready(self):
        from civicgrid.cases.kinds import register_kind

        from .services import EVENT_KIND

        # The kernel reaches the event kind only through this registry (it never imports events).
        register_kind(EVENT_KIND)
        from .pages import register_event_pages

        register_event_pages()
        from . import text_training

        # The text layer learns from closed events (docs/text-intelligence.md).
        text_training.register()
