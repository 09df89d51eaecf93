"""Repeat petitions (重复信访) and the two statutory refusals that rest on them.

"The same matter" is: a petition on which one of the new petitioners is a petitioner too (the
SM3 digest of the ID number, matched as `cases.parties.cases_with_person` does, in one query)
and whose text is similar (`textintel.similarity.text_similarity` ≥ CIVICGRID_PETITION_SAME_MATTER,
default 0.45), plus the petition the officer links explicitly (`related_case`) with its chain.

* Art.19: a matter in progress at a lower level, in the registering office's subtree and within
  its time limit (no running clock overdue), is not accepted above: refused naming the case.
* Art.36: a matter that went through 复核 is no longer accepted: refused naming the case.
* Otherwise a repeat is registered and counted (`repeat_of` = the first petition of the matter,
  `repeat_count` = the earlier petitions of the matter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from civicgrid.cases.choices import LEVEL_ORDER
from civicgrid.cases.models import Case, CaseParty
from civicgrid.cases.services import can_act
from civicgrid.core.errors import ServiceError
from civicgrid.textintel.similarity import text_similarity

from .choices import PartyRole
from .error_codes import PetitionErrorCode
from .workflow import PetitionStatus

DEFAULT_SAME_MATTER = 0.45


def threshold() -> float:
    return float(getattr(settings, "CIVICGRID_PETITION_SAME_MATTER", DEFAULT_SAME_MATTER))


@dataclass
class Matter:
    """The earlier petitions of the same matter, oldest first."""

    cases: list[Case] = field(default_factory=list)

    @property
    def first(self) -> Case | None:
        return self.cases[0] if self.cases else None


def same_matter(*, parties: list[dict], title: str, description: str, related_case: Case | None) -> Matter:
    """The earlier petitions of this matter (see the module docstring)."""
    # One query for all petitioners (a collective petition lists up to 200 people): the digests
    # `clean_parties` computed, as `cases.parties.cases_with_person` matches them one by one.
    digests = {
        p["id_digest"] for p in parties if p.get("role") == PartyRole.PETITIONER and p.get("id_digest")
    }
    ids = set(
        CaseParty.objects.filter(id_digest__in=digests, case__kind="petition", role=PartyRole.PETITIONER)
        .values_list("case_id", flat=True)
        .distinct()
    )
    found: dict[int, Case] = {}
    for case in Case.objects.filter(pk__in=ids).select_related("petition"):
        if text_similarity(title, description, case.title, case.description) >= threshold():
            found[case.pk] = case
    if related_case is not None:
        chain = {related_case.pk}
        details = getattr(related_case, "petition", None)
        if details is not None and details.repeat_of_id:
            chain.add(details.repeat_of_id)
        first_ids = set(chain)
        chain |= set(
            Case.objects.filter(kind="petition", petition__repeat_of__in=first_ids).values_list(
                "pk", flat=True
            )
        )
        for case in Case.objects.filter(pk__in=chain - set(found)).select_related("petition"):
            found[case.pk] = case
    return Matter(sorted(found.values(), key=lambda c: (c.opened_at, c.pk)))


def _number_for(actor, case: Case) -> str:
    # A confidential petition the registrar may not see is not named (its existence is the secret).
    if case.confidential and not can_act(actor, "cases.view_case", case):
        return _("（编号不予显示）")
    return case.number


def check_acceptable(matter: Matter, *, actor, level: str, office_path: str, now) -> None:
    """Refuse the Art.36 and Art.19 cases (ServiceError naming the earlier petition)."""
    for case in matter.cases:
        if case.status == PetitionStatus.RECHECKED:
            raise ServiceError(
                PetitionErrorCode.RECHECKED,
                _("同一信访事项已于信访事项 %(number)s 经复核终结，依据《信访工作条例》第三十六条不再受理")
                % {"number": _number_for(actor, case)},
                field="related_case",
                params={"case": case.pk},
            )
    rank = LEVEL_ORDER.index(level)
    for case in matter.cases:
        if case.closed_at is not None or case.handling_level not in LEVEL_ORDER:
            continue
        below = LEVEL_ORDER.index(case.handling_level) < rank
        inside = case.path.startswith(office_path)
        in_time = case.due_at is None or case.due_at > now
        if below and inside and in_time:
            raise ServiceError(
                PetitionErrorCode.IN_PROGRESS_BELOW,
                _(
                    "同一信访事项 %(number)s 正在%(level)s办理且未超过法定期限，"
                    "依据《信访工作条例》第十九条本级不予受理，请告知信访人等待其办理结果"
                )
                % {"number": _number_for(actor, case), "level": case.get_handling_level_display()},
                field="related_case",
                params={"case": case.pk},
            )
