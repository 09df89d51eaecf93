"""The citizen pages (no staff login): report a problem (/citizen/), follow it by number and query
code (/citizen/follow/ → /citizen/cases/<number>/) and rate its handling once it is closed.

Phone-first and usable without JavaScript: the map is an enhancement (a village list and an address
work without it). A successful report answers the POST with the number and the query code on the
page (a reload re-posts the same submission key and shows the same event and code). Following
stores the case in the visitor's session, so the code never travels in a URL; the progress page and
the rating form need that session grant. See docs/citizen.md.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.areas.choices import AreaLevel
from civicgrid.areas.models import Area
from civicgrid.cases.models import Case
from civicgrid.core.errors import ServiceError

from .citizen_forms import CitizenReportForm, FollowForm, RateForm
from .citizen_services import (
    can_rate,
    citizen_status,
    do_citizen_rate,
    do_citizen_report,
    emergency_services,
    find_citizen_case,
    public_timeline,
)
from .models import CitizenAccess
from .models.taxonomy import QuestionType

SESSION_KEY = "citizen_cases"
SESSION_MAX = 20


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with CIVICGRID_CITIZEN_PROXY_COUNT = n trusted reverse
    proxies in front, the address the outermost trusted proxy saw (n-th from the right of
    X-Forwarded-For). A client cannot spoof it by sending its own X-Forwarded-For."""
    hops = int(getattr(settings, "CIVICGRID_CITIZEN_PROXY_COUNT", 0))
    if hops > 0:
        chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(chain) >= hops:
            return chain[-hops][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def _grant(request, case: Case) -> None:
    granted = [pk for pk in request.session.get(SESSION_KEY, []) if pk != case.pk]
    request.session[SESSION_KEY] = [*granted[-(SESSION_MAX - 1) :], case.pk]


def _granted_case(request, number: str) -> Case | None:
    granted = request.session.get(SESSION_KEY, [])
    if not granted:
        return None
    return (
        Case.objects.filter(pk__in=granted, number=number, citizen_access__isnull=False)
        .select_related("event", "citizen_access", "area")
        .first()
    )


def _status_for(error: ServiceError) -> int:
    return 429 if error.code == "throttled" else 400


# --- report ---------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def report(request):
    """/citizen/: 我要反映."""
    status = 200
    if request.method == "POST":
        form = CitizenReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                done = do_citizen_report(client_ip=client_ip(request), **form.report_data())
            except ServiceError as error:
                form.add_error(form.error_field(error.field), str(error.message))
                status = _status_for(error)
            else:
                _grant(request, done.case)
                context = {"case": done.case, "code": done.code, "created": done.created}
                return render(request, "citizen/submitted.html", context)
        else:
            status = 400
    else:
        form = CitizenReportForm()
    context = {
        "form": form,
        "emergency_services": emergency_services(),
        "map": _map_settings(),
        "questions": {
            c.code: [q for q in c.required_fields or () if q.get("type") != QuestionType.PHOTO]
            for c in form.public
            if c.required_fields
        },
    }
    return render(request, "citizen/report.html", context, status=status)


def _map_settings() -> dict:
    conf = getattr(settings, "CIVICGRID", {})
    return {"tile_url": conf.get("MAP_TILE_URL", ""), "attribution": conf.get("MAP_TILE_ATTRIBUTION", "")}


@require_GET
@cache_control(public=True, max_age=3600)
def areas_geojson(request):
    """/citizen/areas.geojson: the township boundaries (public administrative divisions) for the
    report map, so a citizen can see where the jurisdiction lies without a tile server."""
    features = []
    rows = Area.objects.filter(is_active=True, level=AreaLevel.TOWNSHIP, boundary__isnull=False).values(
        "code", "name", "boundary"
    )
    for row in rows:
        features.append(
            {
                "type": "Feature",
                "properties": {"code": row["code"], "name": row["name"]},
                "geometry": row["boundary"],
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- follow ---------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def follow(request):
    """/citizen/follow/: number + query code (or phone) → the progress page."""
    status = 200
    if request.method == "POST":
        form = FollowForm(request.POST)
        if form.is_valid():
            try:
                case = find_citizen_case(
                    form.cleaned_data["number"], form.cleaned_data["secret"], client_ip=client_ip(request)
                )
            except ServiceError as error:
                form.add_error(None, str(error.message))
                status = _status_for(error)
            else:
                _grant(request, case)
                return HttpResponseRedirect(reverse("events:citizen_case", args=[case.number]), status=303)
        else:
            status = 400
    else:
        form = FollowForm(initial={"number": request.GET.get("number", "")[:40]})
    return render(request, "citizen/follow.html", {"form": form}, status=status)


@never_cache
@require_GET
def case_page(request, number: str):
    """/citizen/cases/<number>/: progress, public timeline, result and the rating form."""
    case = _granted_case(request, number)
    if case is None:
        query = urlencode({"number": number[:40]})
        return HttpResponseRedirect(f"{reverse('events:citizen_follow')}?{query}")
    return render(request, "citizen/case.html", _case_context(case, RateForm()))


def _case_context(case: Case, rate_form) -> dict:
    access = case.citizen_access
    details = case.event
    return {
        "case": case,
        "status": citizen_status(case),
        "timeline": public_timeline(case),
        "result": details.result if case.status in ("closed", "done") else "",
        "can_rate": can_rate(case, access),
        "rated": access.rated_at is not None,
        "rate_form": rate_form,
        "category": details.category,
        "address": details.address,
    }


@never_cache
@csrf_protect
@require_POST
def rate(request, number: str):
    """POST /citizen/cases/<number>/rate/: the citizen's verdict, once per closure."""
    case = _granted_case(request, number)
    if case is None:
        raise Http404
    form = RateForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            do_citizen_rate(
                case,
                satisfaction=form.cleaned_data["satisfaction"],
                resolved=form.cleaned_data["resolved"] == "yes",
                comment=form.cleaned_data["comment"],
                client_ip=client_ip(request),
            )
        except ServiceError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
            status = _status_for(error)
        else:
            messages.success(request, _("感谢您的评价！"))
            return HttpResponseRedirect(reverse("events:citizen_case", args=[number]), status=303)
    case = _granted_case(request, number) or case
    case.citizen_access = CitizenAccess.objects.get(case=case)
    return render(request, "citizen/case.html", _case_context(case, form), status=status)
