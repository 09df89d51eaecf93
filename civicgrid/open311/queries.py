"""Reads of the Open311 interface: requests and updates within a client's area, as wire rows.

Scope is the platform's own: `Case.objects.restrict(client account, "cases.view_case")`. Only
events are served, and never those of internal classes (CIVICGRID_CITIZEN_HIDDEN_CATEGORIES, e.g.
特殊人群服务) or without a class yet. No personal data leaves: the reporter's name, phone and e-mail
are never part of a row, and ID numbers, mobile numbers and e-mail addresses written into a
description or note are masked (`core.personal_data.mask_text`).
"""

from __future__ import annotations

from django.core import signing
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from civicgrid.cases.models import Case, CaseDeadline, TimelineEntry
from civicgrid.core.personal_data import mask_text
from civicgrid.events.citizen_services import citizen_status, public_words, setting
from civicgrid.events.models import EventPhoto, PhotoStage

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


def _hidden_q() -> Q:
    hidden = list(setting("CIVICGRID_CITIZEN_HIDDEN_CATEGORIES") or ())
    return Q(event__category__code__in=hidden) | Q(event__category__parent__code__in=hidden)


def events_in_scope(user):
    return (
        Case.objects.restrict(user, VIEW)
        .filter(kind="event", event__category__isnull=False)
        .exclude(_hidden_q())
    )


def with_row_data(queryset):
    """What a request row needs, in the same query: class, lead unit, Open311 record, the last
    change and the handling deadline."""
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
    return queryset.select_related("event__category__parent", "lead_unit", "open311").annotate(
        last_change=Subquery(last_change),
        handling_due=Subquery(handling_due),
        first_photo=Subquery(first_photo),
    )


def media_url_for(request, photo_id: int) -> str:
    """An unguessable link to a report photo (signed; the photo endpoint needs no key, so clients
    can show it in an <img>)."""
    token = signing.dumps(photo_id, salt=MEDIA_SALT)
    return request.build_absolute_uri(reverse("open311:media", args=[token]))


def _status_notes(case: Case) -> str:
    text = citizen_status(case)["text"]
    result = getattr(case.event, "result", "") if case.status in ("closed", "done") else ""
    return f"{text}：{mask_text(result)}" if result else text


def request_row(case: Case, request) -> dict:
    details = case.event
    category = details.category
    submitted = getattr(case, "open311", None)
    media = submitted.media_url if submitted is not None and submitted.media_url else None
    if media is None and getattr(case, "first_photo", None):
        media = media_url_for(request, case.first_photo)
    closed = open_or_closed(case.status) == "closed"
    return {
        "service_request_id": case.number,
        "status": open_or_closed(case.status),
        "status_notes": _status_notes(case),
        "service_name": category.name,
        "service_code": category.code,
        "description": mask_text(case.description) or None,
        "agency_responsible": case.lead_unit.name if case.lead_unit_id else None,
        "service_notice": category.notice,
        "requested_datetime": case.opened_at,
        "updated_datetime": (case.closed_at if closed and case.closed_at else None)
        or case.last_change
        or case.opened_at,
        "expected_datetime": case.handling_due,
        "address": details.address or None,
        "address_id": (submitted.address_id or None) if submitted is not None else None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media,
    }


def transitions_in_scope(user):
    cases = events_in_scope(user).values("pk")
    return TimelineEntry.objects.filter(kind="transition", case__in=cases)


def update_row(entry: TimelineEntry) -> dict:
    return {
        "update_id": str(entry.pk),
        "service_request_id": entry.case.number,
        "status": EXTENDED_STATUS.get(entry.to_status, "open"),
        "updated_datetime": entry.time,
        "description": public_words(entry) or "",
        "media_url": None,
        "external_status_code": entry.to_status,
    }
