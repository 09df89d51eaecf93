"""The leaders' dashboard panel (red-grade disputes, petitions near or past their statutory
deadlines), as an inclusion tag: the dashboard's template includes it without the assessment app
importing the desk (they are siblings in the import layers)."""

from __future__ import annotations

from django import template

from civicgrid.desk.queries import dashboard_panel

register = template.Library()


@register.inclusion_tag("desk/_dashboard_panel.html", takes_context=True)
def desk_dashboard_panel(context):
    """Rows for the request's user, within the dashboard's selected area when one is chosen."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"panel": None}
    return {"panel": dashboard_panel(user, area=context.get("area"))}


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
