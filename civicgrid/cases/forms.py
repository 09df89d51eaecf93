"""Forms of the command-centre pages, and the registry through which a case kind adds its own
inputs to them.

Forms validate shape only; the services decide. Every action form carries the case's version as
`expected_version` (a stale one is refused as a conflict) and a note. The kernel does not import
the kinds above it, so a kind that wants richer pages registers a `KindPages` in its
`AppConfig.ready()`:

    register_kind_pages(KindPages(
        "event",
        action_forms={"dispatch": EventDispatchForm, "handle": EventHandleForm},
        perform=do_event_action,            # (case, action, *, actor, expected_version, note, **data)
        panel_template="events/_case_panel.html",
        panel_context=event_panel_context,  # (case, user) -> dict for the panel template
        inbox_filters={"category": category_filter},  # name -> () -> django_filters.Filter
    ))

Without one, every workflow action is a note-only form and `do_apply_action` performs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Unit

from .choices import Supervision

NOTE_MAX = 2000


class ActionForm(forms.Form):
    """The base of every action form: the version the user saw and a note. Subclasses add fields
    and override `action_data()` to turn cleaned data into the service's keyword arguments."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, note_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if note_required:
            # Shown as required; the service refuses an empty one with its own message as well.
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = _("请填写说明")

    def action_data(self) -> dict:
        """Keyword arguments for the service beyond note and expected_version."""
        return {}


class UnitsForm(ActionForm):
    """Dispatch inputs a kind may register: the lead unit (主办) and co-handler units (协办).
    Gives `lead_unit` (a Unit or None) and `co_units` (a list of Units)."""

    lead_unit = forms.ModelChoiceField(label=_("主办单位"), queryset=Unit.objects.none(), required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"), queryset=Unit.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = Unit.objects.filter(is_active=True).order_by("name")
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units

    def action_data(self) -> dict:
        return {"lead_unit": self.cleaned_data["lead_unit"], "co_units": list(self.cleaned_data["co_units"])}


# --- the kernel's own actions (urge, supervise, escalate, extensions): the same for every kind ----


class UrgeForm(ActionForm):
    pass


class EscalateForm(ActionForm):
    pass


class SuperviseForm(ActionForm):
    level = forms.ChoiceField(label=_("督办级别"), choices=Supervision.choices)

    def action_data(self) -> dict:
        return {"level": self.cleaned_data["level"]}


class ClockForm(ActionForm):
    """An extension form: which of the case's clocks (choices set by the page from the case)."""

    clock = forms.ChoiceField(label=_("时限"), choices=())

    def set_clocks(self, deadlines, labels: dict) -> None:
        self.fields["clock"].choices = [
            (d.name, f"{labels.get(d.name, d.name)}（{d.period_display}）") for d in deadlines
        ]


class RequestExtensionForm(ClockForm):
    """延期申请: the amount is in the clock's own unit (working days, hours…); the reason is required
    (the note field, labelled as the reason)."""

    amount = forms.IntegerField(label=_("延长"), min_value=1, max_value=365)

    def __init__(self, *args, **kwargs):
        kwargs["note_required"] = True
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("延期理由")
        self.fields["note"].error_messages["required"] = _("请填写延期理由")

    def action_data(self) -> dict:
        return {"clock": self.cleaned_data["clock"], "amount": self.cleaned_data["amount"]}


class DecideExtensionForm(ClockForm):
    """延期审批: approve (the clock is extended and recomputed) or refuse the pending request."""

    decision = forms.ChoiceField(
        label=_("审批意见"),
        choices=[("approve", _("同意延期")), ("refuse", _("不同意"))],
        widget=forms.RadioSelect,
    )

    def action_data(self) -> dict:
        return {"clock": self.cleaned_data["clock"], "approve": self.cleaned_data["decision"] == "approve"}


class SummonForm(ActionForm):
    """吹哨: the departments to summon (choices set by the page from the kind's candidates)."""

    units = forms.ModelMultipleChoiceField(
        label=_("召集部门"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def set_candidates(self, units) -> None:
        self.allowed = list(units)
        self.fields["units"].queryset = Unit.objects.filter(pk__in=[u.pk for u in self.allowed]).order_by(
            "area__code", "name"
        )

    def action_data(self) -> dict:
        return {"units": list(self.cleaned_data["units"]), "allowed": getattr(self, "allowed", [])}


class ReportInForm(ActionForm):
    """报到: the summoned unit takes the case on."""


# --- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KindPages:
    """What a case kind adds to the command-centre pages. All parts optional.

    * `action_forms[action]`: an ActionForm subclass for that workflow action (else note-only).
    * `perform(case, action, *, actor, expected_version, note, **data) -> Case`: the writer the
      page calls for workflow actions (else `cases.services.do_apply_action`).
    * `panel_template` + `panel_context(case, user) -> dict`: a section of the case page with the
      kind's own data (category, channel, reporter masked, photos).
    * `inbox_filters[name]() -> django_filters.Filter`: extra inbox filters (category, channel).
    * `list_related`: extra `select_related` names for inbox rows (e.g. "event__category").
    * `summon_units(case) -> list[Unit]`: the units the centre may summon onto the case (吹哨报到);
      without it the kind offers no summons."""

    code: str
    action_forms: Mapping[str, type[ActionForm]] = field(default_factory=dict)
    perform: Callable | None = None
    panel_template: str = ""
    panel_context: Callable | None = None
    inbox_filters: Mapping[str, Callable] = field(default_factory=dict)
    list_related: tuple[str, ...] = ()
    summon_units: Callable | None = None


_pages: dict[str, KindPages] = {}


def register_kind_pages(pages: KindPages) -> KindPages:
    """Make a kind's page parts known (call from the kind's AppConfig.ready())."""
    _pages[pages.code] = pages
    return pages


def unregister_kind_pages(code: str) -> None:
    _pages.pop(code, None)


def kind_pages(code: str) -> KindPages:
    return _pages.get(code) or KindPages(code)


def registered_kind_pages() -> dict[str, KindPages]:
    return dict(_pages)


def action_form_class(kind: str, action: str) -> type[ActionForm]:
    return kind_pages(kind).action_forms.get(action, ActionForm)
