"""The petition kind's parts of the command-centre case page (`cases.forms.KindPages`): the action
forms, the writer the page calls, and the petition panel (class, channel, people count and 集体访,
repeats, the parties masked with a logged reveal, the objection window, the
documents). Registered from `PetitionsConfig.ready()`."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Unit
from civicgrid.cases.forms import KindPages, register_kind_pages
from civicgrid.cases.models import Case
from civicgrid.cases.parties import may_remove_parties, party_rows
from civicgrid.cases.services import can_act
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import can_reveal

from . import documents
from .choices import PartyRole, PetitionClass
from .forms import ACTION_FORMS
from .models import PetitionDetails
from .services import do_petition_action, objection_due
from .workflow import PetitionStatus


def perform_petition_action(
    case, action: str, *, actor, expected_version: int, note: str = "", **data
) -> Case:
    """The case page's writer: a unit the officer cannot see is refused like an unknown one."""
    unit = data.get("unit")
    if action == "transfer" and unit is not None:
        visible = Unit.objects.restrict(actor, "accounts.view_unit").filter(is_active=True)
        if not visible.filter(pk=unit.pk).exists():
            raise ServiceError("not_found", _("单位“%(name)s”不可选") % {"name": unit.name}, field="unit")
    return do_petition_action(case, action, actor=actor, expected_version=expected_version, note=note, **data)


def _linked(case: Case | None, user) -> dict | None:
    if case is None:
        return None
    return {"number": case.number, "visible": can_act(user, "cases.view_case", case)}


def petition_panel_context(case: Case, user) -> dict:
    details = (
        PetitionDetails.objects.select_related("organ", "registering_unit", "repeat_of", "related_case")
        .filter(case=case)
        .first()
    )
    if details is None:
        return {}
    roles = dict(PartyRole.choices)
    parties = [{**row, "role_label": roles.get(row["role"], row["role"])} for row in party_rows(case, user)]
    return {
        "details": details,
        "parties": parties,
        "petitioners": [p for p in parties if p["role"] == PartyRole.PETITIONER],
        "accused": [p for p in parties if p["role"] == PartyRole.ACCUSED],
        "may_reveal": can_reveal(user, case.path),
        "may_remove_parties": may_remove_parties(case, user),
        "documents": documents.available(details),
        "objection_due": objection_due(details) if case.status == PetitionStatus.TRANSFERRED else None,
        "repeat_of": _linked(details.repeat_of, user),
        "related": _linked(details.related_case, user),
    }


def petition_class_filter():
    return django_filters.ChoiceFilter(
        label=gettext_lazy("信访类别"), choices=PetitionClass.choices, field_name="petition__petition_class"
    )


def register_petition_pages() -> KindPages:
    return register_kind_pages(
        KindPages(
            "petition",
            action_forms=ACTION_FORMS,
            perform=perform_petition_action,
            panel_template="petitions/_case_panel.html",
            panel_context=petition_panel_context,
            inbox_filters={"petition_class": petition_class_filter},
        )
    )
