"""The leaders' dashboard panel (red-grade disputes, petitions near or past their statutory
deadlines), as an inclusion tag: the dashboard's template includes it without the assessment app
importing the desk (they are siblings in the import layers); and the navigation's desk filter."""

from __future__ import annotations

from django import template
from django.utils.http import urlencode

register = template.Library()


@register.inclusion_tag("desk/_dashboard_panel_loader.html", takes_context=True)
def desk_dashboard_panel(context):
    """A placeholder the browser fills from /desk/panel/ (htmx, on load): the dashboard's own page
    reads nothing more, and a slow panel never holds it up. Within the dashboard's chosen area."""
    request = context.get("request")
    user = getattr(request, "user", None)
    area = context.get("area")
    return {
        "show": bool(user is not None and user.is_authenticated),
        "query": urlencode({"area": area.code}) if area is not None else "",
    }


@register.filter
def may_use_desk(user) -> bool:
    """Whether to show the desk in the navigation: the user holds a desk permission somewhere."""
    from civicgrid.core.scope import ALL, scope_paths
    from civicgrid.desk.services import ADD, VIEW

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    for perm in (VIEW, ADD):
        paths = scope_paths(user, perm)
        if paths is ALL or paths:
            return True
    return False
