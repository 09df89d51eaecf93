"""Reads of the Open311 interface: requests and updates within a client's area, as wire rows.

Scope is the platform's own: `Case.objects.restrict(client account, "cases.view_case")`. Only
events are served, and never those of internal classes (CIVICGRID_CITIZEN_HIDDEN_CATEGORIES, e.g.
特殊人群服务) or without a class yet. No personal data leaves: the reporter's name, phone and e-mail
are never part of a row, and ID numbers, mobile numbers and e-mail addresses written into a
description or note are masked (`core.personal_data.mask_text`).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core import signing
from django.db.models import BooleanField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.urls import reverse

from civicgrid.cases.models import Case, CaseDeadline, TimelineEntry
from civicgrid.core.personal_data import mask_text
from civicgrid.core.scope import ALL, path_q, scope_paths
from civicgrid.events.citizen_services import hidden_category_q, public_words, status_in_words
from civicgrid.events.models import Category, EventPhoto, PhotoStage

VIEW = "cases.view_case"
CLOSED_STATUSES = ("rejected", "transferred", "merged", "closed", "done")

# CivicGrid event statuses → the mySociety extension's extended statuses.
EXTENDED_STATUS = {
    "reported": "open",
    "registered": "investigating",
    "dispatched": "action_scheduled",
    "objected": "internal_referral",
    "accepted": "in_progress",
    "handled": "in_progress",
    "verified": "fixed",
    "closed": "fixed",
    "done": "fixed",
    "rejected": "no_further_action",
    "transferred": "not_councils_responsibility",
    "merged": "duplicate",
}

MEDIA_SALT = "civicgrid.open311.media"


def open_or_closed(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def events_in_scope(user):
    # Only events have EventDetails, so the inner join on a classified event is the kind filter; a
    # `kind` condition would lead SQLite to the (kind, status) index and a sort of every event
    # instead of walking `case_opened` newest first.
    return (
        Case.objects.restrict(user, VIEW).filter(event__category__isnull=False).exclude(hidden_category_q())
    )


ROW_FIELDS = (
    "pk",
    "number",
    "status",
    "description",
    "opened_at",
    "closed_at",
    "lat",
    "lon",
    "lead_unit__name",
    "event__category_id",
    "event__address",
    "event__result",
    "event__transfer_target",
    "open311__media_url",
    "open311__address_id",
)


def request_rows(queryset, request) -> list[dict]:
    """The wire rows of the cases in `queryset` (already ordered and sliced by the caller), read as
    plain values in one query: class, lead unit, Open311 record, the last change, the handling
    deadline and the first report photo come with each row."""
    last_change = (
        TimelineEntry.objects.filter(case=OuterRef("pk")).order_by("-time", "-id").values("time")[:1]
    )
    handling_due = (
        CaseDeadline.objects.filter(case=OuterRef("pk"), name="handling").order_by("-id").values("due_at")[:1]
    )
    first_photo = (
        EventPhoto.objects.filter(case=OuterRef("pk"), stage=PhotoStage.REPORT)
        .order_by("id")
        .values("pk")[:1]
    )
    rows = list(
        queryset.annotate(
            last_change=Subquery(last_change),
            handling_due=Subquery(handling_due),
            first_photo=Subquery(first_photo),
        ).values(*ROW_FIELDS, "last_change", "handling_due", "first_photo")
    )
    categories = {c.pk: c for c in Category.objects.filter(pk__in={r["event__category_id"] for r in rows})}
    notices = {pk: c.notice for pk, c in categories.items()}
    return [_row(r, categories[r["event__category_id"]], notices, request) for r in rows]


def media_url_for(request, photo_id: int) -> str:
    """An unguessable link to a report photo (signed; the photo endpoint needs no key, so clients
    can show it in an <img>)."""
    token = signing.dumps(photo_id, salt=MEDIA_SALT)
    return request.build_absolute_uri(reverse("open311:media", args=[token]))


def _status_notes(r: dict) -> str:
    text = status_in_words(r["status"], r["event__transfer_target"] or "")["text"]
    result = r["event__result"] if r["status"] in ("closed", "done") else ""
    return f"{text}：{mask_text(result)}" if result else text


def _row(r: dict, category: Category, notices: dict, request) -> dict:
    media = r["open311__media_url"] or None
    if media is None and r["first_photo"]:
        media = media_url_for(request, r["first_photo"])
    status = open_or_closed(r["status"])
    updated = r["closed_at"] if status == "closed" and r["closed_at"] else None
    return {
        "service_request_id": r["number"],
        "status": status,
        "status_notes": _status_notes(r),
        "service_name": category.name,
        "service_code": category.code,
        "description": mask_text(r["description"]) or None,
        "agency_responsible": r["lead_unit__name"],
        "service_notice": notices[category.pk],
        "requested_datetime": r["opened_at"],
        "updated_datetime": updated or r["last_change"] or r["opened_at"],
        "expected_datetime": r["handling_due"],
        "address": r["event__address"] or None,
        "address_id": r["open311__address_id"] or None,
        "zipcode": None,
        "lat": r["lat"],
        "long": r["lon"],
        "media_url": media,
    }


# Written as a literal, not a parameter, so that SQLite can use the partial index over transitions
# by time (cases.timeline_transition_time); PostgreSQL binds on the client and sees it anyway.
_TRANSITION = RawSQL('"cases_timelineentry"."kind" = \'transition\'', [], output_field=BooleanField())


def transitions_in_scope(user):
    """Status changes of the events the user may read, as joins walking the transitions by time
    (an IN over the user's cases would read every case of the area first)."""
    entries = TimelineEntry.objects.filter(_TRANSITION, case__event__category__isnull=False).exclude(
        hidden_category_q("case__event__category")
    )
    paths = scope_paths(user, VIEW)
    if getattr(user, "unit_id", None) is not None:  # unit-assigned access too: the kernel's own rule
        return entries.filter(case__in=Case.objects.restrict(user, VIEW).values("pk"))
    if paths is ALL:
        return entries
    if not paths:
        return entries.none()
    return entries.filter(path_q("case__path", paths))


def update_rows(entries) -> list[dict]:
    """The wire rows of timeline transitions (already ordered and sliced), read as plain values."""
    rows = entries.values("pk", "case__number", "kind", "action", "to_status", "time", "data")
    return [
        {
            "update_id": str(r["pk"]),
            "service_request_id": r["case__number"],
            "status": EXTENDED_STATUS.get(r["to_status"], "open"),
            "updated_datetime": r["time"],
            "description": public_words(SimpleNamespace(kind=r["kind"], action=r["action"], data=r["data"]))
            or "",
            "media_url": None,
            "external_status_code": r["to_status"],
        }
        for r in rows
    ]
