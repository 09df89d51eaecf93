"""`{% if user|may_view_dashboard %}`: whether the nav shows the leaders' dashboard (驾驶舱) — the
user holds `assessment.view_figures` somewhere (the grants are read once per request and cached)."""

from django import template

from civicgrid.core.scope import scope_paths

from ..queries import VIEW

register = template.Library()


@register.filter
def may_view_dashboard(user) -> bool:
    return bool(scope_paths(user, VIEW))
