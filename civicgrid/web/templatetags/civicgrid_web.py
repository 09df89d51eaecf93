"""Template filters for the web pages."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int:
    """A timedelta (or hours as a number, as django-axes accepts) in whole minutes, rounded up."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        try:
            seconds = float(value) * 3600
        except (TypeError, ValueError):
            return 0
    return int(-(-seconds // 60))


@register.filter
def may_view_cases(user) -> bool:
    """Whether the user may view cases somewhere (the case kinds' lists in the navigation)."""
    from civicgrid.core.scope import scope_paths

    return bool(getattr(user, "is_authenticated", False) and scope_paths(user, "cases.view_case"))
