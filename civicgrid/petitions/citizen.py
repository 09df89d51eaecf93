"""The petitioner's public pages (no login): follow a petition by its number and query code
(/citizen/petitions/ → /citizen/petitions/<number>/) and rate the handling (满意 / 基本满意 /
不满意) once the 处理意见书 is delivered, once.

The query code is given once at registration; only its hash is kept. Following stores the case in
the visitor's session (the code never travels in a URL), as the event citizen pages do, and
failed attempts are throttled per address and per number with the same buckets. The progress page
shows the statutory steps and their dates in plain words and nothing personal about anyone else:
no other petitioner, no accused, no staff name.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets

from django import forms
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases import timeline
from civicgrid.cases.models import Case
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import ServiceError
from civicgrid.events.citizen import client_ip
from civicgrid.events.citizen_services import (
    address_key,
    setting,
    throttle_count,
    throttle_hit,
    throttled_error,
)

from .choices import Rating
from .error_codes import PetitionErrorCode
from .models import PetitionDetails
from .services import request_window_due
from .workflow import CLOCK_LABELS, PetitionStatus

SESSION_KEY = "citizen_petitions"
SESSION_MAX = 20


class FollowForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("信访事项编号"), max_length=40)
    code = forms.CharField(label=gettext_lazy("查询码"), max_length=20)


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=gettext_lazy("评价"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=gettext_lazy("意见建议"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- services -------------------------------------------------------------------------------------


def _not_found() -> ServiceError:
    return ServiceError("not_found", _("编号与查询码不匹配，请核对后重试"), field="code")


@functools.cache
def _dummy_hash() -> str:
    return make_password(secrets.token_hex(8))


def find_petition(number, code, *, client_ip: str = "") -> Case:
    """The petition with this number whose query code matches; a wrong pair, an unknown number and
    a throttled client get errors that reveal nothing more."""
    number = str(number or "").strip()[:40]
    code = re.sub(r"[\s-]", "", str(code or "")).upper()[:20]
    limits = [
        (
            "petition-follow-ip",
            address_key(client_ip),
            3600,
            setting("CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_IP_HOUR"),
        ),
        ("petition-follow-case", number, 3600, setting("CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_CASE_HOUR")),
    ]
    for scope, key, window, limit in limits:
        if key and throttle_count(scope, key, window) >= int(limit):
            raise throttled_error()
    details = (
        PetitionDetails.objects.select_related("case", "case__area", "organ")
        .filter(case__number=number)
        .first()
        if number
        else None
    )
    if details is not None and details.code_hash and code and check_password(code, details.code_hash):
        return details.case
    if details is None:
        check_password(code or "-", _dummy_hash())  # the same work: timing tells nothing
    for scope, key, window, _limit in limits if details is not None else limits[:1]:
        if key:
            throttle_hit(scope, key, window)
    raise _not_found()


def can_rate(details: PetitionDetails) -> bool:
    return details.opinion_at is not None and details.rated_at is None


def do_rate_petition(case: Case, *, rating: str, comment: str = "") -> PetitionDetails:
    """The petitioner's rating of the handling, once, after the 处理意见书 was delivered."""
    if rating not in Rating.values:
        raise ServiceError(PetitionErrorCode.INVALID_CHOICE, _("请选择评价"), field="rating")
    with transaction.atomic():
        details = PetitionDetails.objects.select_for_update().get(case=case)
        if details.opinion_at is None:
            raise ServiceError(PetitionErrorCode.NOT_RATABLE, _("处理意见书送达后才能评价"), field="rating")
        if details.rated_at is not None:
            raise ServiceError(PetitionErrorCode.ALREADY_RATED, _("您已评价过，谢谢"), field="rating")
        before, now = snapshot(details), timezone.now()
        details.rating, details.rating_comment, details.rated_at = rating, (comment or "").strip()[:500], now
        details.save(update_fields=["rating", "rating_comment", "rated_at"])
        record_change(
            actor=None, action=ChangeAction.UPDATE, instance=details, before=before, after=snapshot(details)
        )
        timeline.record(case, None, now, "petitioner_rated", data={"rating": rating})
    return details


def _day(value) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if value else ""


def _last_day(since) -> str:
    """The last day of the petitioner's 30-day window (inclusive)."""
    due = request_window_due(since)
    return (due - dt.timedelta(days=1)).astimezone(LOCAL_TZ).date().isoformat()


def public_steps(case: Case, details: PetitionDetails) -> list[dict]:
    """The statutory steps reached, in plain words with their dates."""
    steps = [
        {"time": details.received_at, "text": _("信访事项已登记，编号 %(number)s") % {"number": case.number}}
    ]
    if details.transferred_at:
        steps.append(
            {
                "time": details.transferred_at,
                "text": _("已%(mode)s至%(organ)s办理")
                % {
                    "mode": details.get_transfer_mode_display(),
                    "organ": details.organ.name if details.organ else _("有关机关"),
                },
            }
        )
    if details.accepted is True:
        steps.append({"time": details.acceptance_at, "text": _("承办机关已受理，将在 60 日内办结")})
    elif details.accepted is False:
        steps.append(
            {
                "time": details.acceptance_at,
                "text": _("不予受理。理由：%(reason)s") % {"reason": details.acceptance_reason},
            }
        )
    if details.opinion_at:
        steps.append(
            {
                "time": details.opinion_at,
                "text": _("已出具处理意见书（%(opinion)s），如不服可在 30 日内（%(date)s 前）申请复查")
                % {"opinion": details.get_opinion_display(), "date": _last_day(details.opinion_at)},
            }
        )
    if details.review_requested_at:
        steps.append({"time": details.review_requested_at, "text": _("已申请复查，复查机关将在 30 日内答复")})
    if details.reviewed_at:
        steps.append(
            {
                "time": details.reviewed_at,
                "text": _("复查意见：%(outcome)s，如不服可在 30 日内（%(date)s 前）申请复核")
                % {"outcome": details.get_review_outcome_display(), "date": _last_day(details.reviewed_at)},
            }
        )
    if details.recheck_requested_at:
        steps.append(
            {"time": details.recheck_requested_at, "text": _("已申请复核，复核机关将在 30 日内答复")}
        )
    if details.rechecked_at:
        steps.append(
            {
                "time": details.rechecked_at,
                "text": _("复核意见：%(outcome)s，复核意见为最终意见")
                % {"outcome": details.get_recheck_outcome_display()},
            }
        )
    return steps


def current_deadline(case: Case) -> dict | None:
    row = case.deadlines.filter(state__in=("running", "paused")).order_by("due_at").first()
    if row is None:
        return None
    return {
        "label": CLOCK_LABELS.get(row.name, row.name),
        "date": row.due_date,
        "paused": row.state == "paused",
    }


# --- pages ----------------------------------------------------------------------------------------


def _grant(request, case: Case) -> None:
    granted = [pk for pk in request.session.get(SESSION_KEY, []) if pk != case.pk]
    request.session[SESSION_KEY] = [*granted[-(SESSION_MAX - 1) :], case.pk]


def _granted(request, number: str) -> Case | None:
    granted = request.session.get(SESSION_KEY, [])
    if not granted:
        return None
    return Case.objects.filter(pk__in=granted, number=number, kind="petition").select_related("area").first()


@never_cache
@require_http_methods(["GET", "POST"])
def follow(request):
    """/citizen/petitions/: number + query code → the progress page."""
    status = 200
    if request.method == "POST":
        form = FollowForm(request.POST)
        if form.is_valid():
            try:
                case = find_petition(
                    form.cleaned_data["number"], form.cleaned_data["code"], client_ip=client_ip(request)
                )
            except ServiceError as error:
                form.add_error(None, str(error.message))
                status = 429 if error.code == "throttled" else 400
            else:
                _grant(request, case)
                return HttpResponseRedirect(
                    reverse("petitions:citizen_case", kwargs={"number": case.number}), status=303
                )
        else:
            status = 400
    else:
        form = FollowForm(initial={"number": request.GET.get("number", "")[:40]})
    return render(request, "petitions/citizen_follow.html", {"form": form}, status=status)


def _context(case: Case, form) -> dict:
    details = PetitionDetails.objects.select_related("organ").get(case=case)
    status = case.status
    return {
        "case": case,
        "details": details,
        "status_label": PetitionStatus(status).label if status in PetitionStatus.values else status,
        "steps": public_steps(case, details),
        "deadline": current_deadline(case),
        "can_rate": can_rate(details),
        "rate_form": form,
    }


@never_cache
def case_page(request, number: str):
    """/citizen/petitions/<number>/: progress in plain words, the rating form when it is due."""
    case = _granted(request, number)
    if case is None:
        return HttpResponseRedirect(
            f"{reverse('petitions:citizen_follow')}?{urlencode({'number': number[:40]})}"
        )
    return render(request, "petitions/citizen_case.html", _context(case, RateForm()))


@never_cache
@require_POST
def rate(request, number: str):
    """POST /citizen/petitions/<number>/rate/: the rating, once."""
    case = _granted(request, number)
    if case is None:
        raise Http404
    form = RateForm(request.POST)
    status = 400
    if form.is_valid():
        key = address_key(client_ip(request))
        if throttle_count("petition-rate-ip", key, 3600) >= int(
            setting("CIVICGRID_CITIZEN_RATINGS_PER_IP_HOUR")
        ):
            form.add_error(None, str(throttled_error().message))
            status = 429
        else:
            throttle_hit("petition-rate-ip", key, 3600)
            try:
                do_rate_petition(
                    case, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
                )
            except ServiceError as error:
                form.add_error(None, str(error.message))
            else:
                return HttpResponseRedirect(
                    reverse("petitions:citizen_case", kwargs={"number": case.number}), status=303
                )
    return render(request, "petitions/citizen_case.html", _context(case, form), status=status)
