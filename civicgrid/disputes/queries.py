"""Reads of the dispute kind: red disputes for leaders' dashboards, and the mediation success rate
(调解成功率) by mediation organisation and by area, with the cases behind each figure.

Every read is scoped: `Case.objects.restrict(user, …)`.

Mediation success rate = disputes whose mediation ended in an agreement / disputes whose mediation
ended (agreement or failure), counted by when it ended (agreement time, else failure time) within
the period. A court's later rejection does not undo the agreement for this figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Substr

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case

from .models import MediationOrganisation

VIEW = "cases.view_case"
FIGURES = "disputes.view_dispute_figures"
# Length of the materialized path down to a level ("33/3380/338001/…", fixed-width prefixes).
PATH_LENGTH = {"county": 15, "township": 25, "village": 38}
GROUPS = ("organisation", *PATH_LENGTH)
OUTCOMES = ("agreed", "failed")


def disputes(user, permission: str = VIEW):
    return Case.objects.restrict(user, permission).filter(kind="dispute")


def red_disputes(user):
    """Open red disputes the user may view, newest first, with their leader in charge (the
    integrator wires this into the leaders' dashboard)."""
    return (
        disputes(user)
        .filter(closed_at__isnull=True, dispute__risk_level="red")
        .select_related("area", "dispute__leader", "dispute__organisation")
        .order_by("-opened_at")
    )


@dataclass
class FigureRow:
    key: str
    label: str
    ended: int
    agreed: int

    @property
    def failed(self) -> int:
        return self.ended - self.agreed

    @property
    def rate(self) -> float | None:
        return round(self.agreed / self.ended, 4) if self.ended else None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "ended": self.ended,
            "agreed": self.agreed,
            "failed": self.failed,
            "rate": self.rate,
        }


def ended_disputes(user, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """Disputes in the user's figures scope whose mediation ended in [start, end)."""
    qs = (
        disputes(user, FIGURES)
        .annotate(ended_at=Coalesce(F("dispute__agreed_at"), F("dispute__failed_at")))
        .filter(ended_at__isnull=False)
    )
    if start is not None:
        qs = qs.filter(ended_at__gte=start)
    if end is not None:
        qs = qs.filter(ended_at__lt=end)
    return qs


def _group_field(group: str):
    if group == "organisation":
        return F("dispute__organisation_id")
    return Substr("path", 1, PATH_LENGTH[group])


def mediation_figures(user, *, group: str = "organisation", start=None, end=None) -> dict:
    """{"total": FigureRow, "rows": [FigureRow …]} grouped by organisation or area level."""
    if group not in GROUPS:
        group = "organisation"
    qs = ended_disputes(user, start, end)
    agreed_q = Q(dispute__agreed_at__isnull=False)
    totals = qs.aggregate(ended=Count("pk"), agreed=Count("pk", filter=agreed_q))
    grouped = (
        qs.annotate(group_key=_group_field(group))
        .values("group_key")
        .annotate(ended=Count("pk"), agreed=Count("pk", filter=agreed_q))
        .order_by("group_key")
    )
    keys = [row["group_key"] for row in grouped]
    if group == "organisation":
        labels = {o.pk: o.name for o in MediationOrganisation.objects.filter(pk__in=[k for k in keys if k])}
    else:
        labels = {a.path: a.name for a in Area.objects.filter(path__in=[k for k in keys if k])}
    rows = [
        FigureRow(str(row["group_key"] or ""), labels.get(row["group_key"], "—"), row["ended"], row["agreed"])
        for row in grouped
    ]
    return {"total": FigureRow("", "", totals["ended"], totals["agreed"]), "rows": rows, "group": group}


def figure_cases(user, *, group: str, key: str, outcome: str = "", start=None, end=None):
    """The cases behind one figure (drill-down): the ended disputes of the group `key`, optionally
    only the agreed or failed ones."""
    qs = ended_disputes(user, start, end)
    if group == "organisation":
        qs = (
            qs.filter(dispute__organisation_id=int(key))
            if key.isdigit()
            else qs.filter(dispute__organisation__isnull=True)
        )
    elif group in PATH_LENGTH:
        qs = qs.filter(path__startswith=key) if key else qs.none()
    if outcome == "agreed":
        qs = qs.filter(dispute__agreed_at__isnull=False)
    elif outcome == "failed":
        qs = qs.filter(dispute__agreed_at__isnull=True)
    return qs.select_related("area", "dispute__organisation").order_by("-ended_at", "-pk")
