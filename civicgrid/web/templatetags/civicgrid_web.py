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
