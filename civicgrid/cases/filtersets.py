"""The inbox filters: one django-filter FilterSet over the kernel's queues (and, later, the API).

The FilterSet narrows a queryset that already went through `restrict` or `cases.queries`; it never
widens one. The area filter accepts only areas the reader may view, so an area code out of reach is
reported exactly like an unknown one. Kinds add their own filters (an event's category or channel)
through `forms.KindPages.inbox_filters`.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area

from .choices import HandlingLevel, Priority, Supervision
from .forms import registered_kind_pages
from .kinds import registered_kinds
from .models import Case

VIEW_AREA = "areas.view_area"


def _attrs(attrs: dict) -> SafeString:
    """Attributes in the order given, as django/forms/widgets/attrs.html writes them (True: the
    bare name; False and None: left out), escaped."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False and value is not None
        ),
    )


class QuickSelect(forms.Select):
    """`forms.Select`, rendered in Python: the same `<select>` and `<option>`s (values, labels and
    attributes escaped as the templates escape them), without one template render per option. The
    inbox's filter form lists every event category (hundreds of options): through Django's widget
    templates that was about half of the inbox page's time on a loaded machine."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            for option in options:
                value = "" if option["value"] is None else str(option["value"])
                parts.append(
                    format_html(
                        '<option value="{}"{}>{}</option>', value, _attrs(option["attrs"]), option["label"]
                    )
                )
            if group:
                parts.append(SafeString("</optgroup>"))
        parts.append(SafeString("</select>"))
        return format_html_join("", "{}", ((part,) for part in parts))


def status_choices() -> list[tuple[str, str]]:
    """Every registered kind's statuses, each value once (kinds share values such as "closed")."""
    seen: dict[str, str] = {}
    for kind in registered_kinds().values():
        for value, label in kind.workflow.states.items():
            seen.setdefault(value, label)
    return list(seen.items())


def kind_choices() -> list[tuple[str, str]]:
    return [(code, kind.label or code) for code, kind in registered_kinds().items()]


def visible_areas(request):
    user = getattr(request, "user", None)
    return Area.objects.restrict(user, VIEW_AREA).filter(is_active=True).order_by("path")


class CaseFilterSet(django_filters.FilterSet):
    """Inbox filters: text (number or title), kind, status, area subtree, priority, supervision,
    handling level and the opening date range."""

    q = django_filters.CharFilter(label=_("编号或标题"), method="filter_text")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=kind_choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=status_choices)
    area = django_filters.ModelChoiceFilter(
        label=_("区划"),
        queryset=visible_areas,
        to_field_name="code",
        method="filter_area",
        widget=forms.TextInput(attrs={"placeholder": _("区划代码，含下级")}),
    )
    priority = django_filters.ChoiceFilter(label=_("紧急程度"), choices=Priority.choices)
    supervision = django_filters.ChoiceFilter(label=_("督办"), choices=Supervision.choices)
    handling_level = django_filters.ChoiceFilter(label=_("办理层级"), choices=HandlingLevel.choices)
    opened = django_filters.DateFromToRangeFilter(
        label=_("创建日期"),
        field_name="opened_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Case
        fields: list[str] = []

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():  # the form's own copies: nothing shared is changed
            if type(field.widget) is forms.Select:
                field.widget.__class__ = QuickSelect
        return form

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__startswith=value) | Q(title__icontains=value))

    def filter_area(self, queryset, name, value):
        # The area's whole subtree: its path is a prefix of the case's (grid) path.
        return queryset.filter(path__startswith=value.path) if value is not None else queryset


def inbox_filterset_class() -> type[CaseFilterSet]:
    """CaseFilterSet plus the filters the registered kinds contribute (built per request: kinds
    register at start-up, and a fresh Filter per request keeps them free of shared state)."""
    extra = {}
    for pages in registered_kind_pages().values():
        for name, make in pages.inbox_filters.items():
            extra.setdefault(name, make())
    if not extra:
        return CaseFilterSet
    return type("KindCaseFilterSet", (CaseFilterSet,), extra)
