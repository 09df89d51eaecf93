"""The GeoReport v2 endpoints (docs/open311.md). Every call: format from the URL suffix
(.xml / .json), jurisdiction_id checked, api_key checked where the method needs one, the client's
rate limit counted, errors in the spec's body, and one `Call` row written (every call audited).

Keys are sent as the `api_key` parameter, never a cookie, so the endpoints are exempt from CSRF:
a browser's session gives no access here.
"""

from __future__ import annotations

import functools
import logging

from django.core import signing
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicgrid.core.request_context import current_request_id
from civicgrid.events.citizen import client_ip
from civicgrid.events.models import EventPhoto
from civicgrid.events.photo_files import photo_response

from . import catalogue, params, queries
from .errors import Open311Error
from .formats import FORMATS, error_response, respond
from .models import Call, SubmittedRequest
from .services import check_rate, client_for_key, submit_request, submit_update
from .settings import open311_setting

logger = logging.getLogger(__name__)

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


def endpoint(name: str, methods: tuple[str, ...], *, key: str | tuple[str, ...] = ()):
    """Wrap a view: `key` names the methods that need an api_key (the client is passed on)."""
    keyed = (key,) if isinstance(key, str) else key

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def run(request, fmt: str, **kwargs):
            call = {"client": None, "key_prefix": "", "case_number": "", "error_code": ""}
            data = request.POST if request.method == "POST" else request.GET
            try:
                if fmt not in FORMATS:
                    raise Open311Error(404, _("format：只支持 .xml 和 .json"), "unknown_format")
                if request.method not in methods:
                    raise Open311Error(
                        405, _("不支持 %(method)s 方法") % {"method": request.method}, "method"
                    )
                area = params.jurisdiction(data)
                client = None
                raw = params.param(data, "api_key")
                if raw:
                    call["key_prefix"] = raw[3:11] if raw.startswith("cg_") else raw[:8]
                if request.method in keyed or raw:
                    client = client_for_key(raw)
                    call["client"] = client
                    check_rate(client)
                response = view(request, fmt, client=client, area=area, data=data, call=call, **kwargs)
            except Open311Error as error:
                call["error_code"] = error.code
                response = error_response(fmt, error.status, [error.description])
                if error.status == 429:
                    response["Retry-After"] = "60"
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
            _log_call(request, name, call, response.status_code)
            return response

        return run

    return wrap


def _logged_path(request) -> str:
    """The path and query of a GET without the api_key (a key never sits in a log)."""
    if request.method != "GET":
        return request.path
    query = request.GET.copy()
    query.pop("api_key", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def _log_call(request, name: str, call: dict, status: int) -> None:
    try:
        Call.objects.create(
            client=call["client"],
            key_prefix=call["key_prefix"][:12],
            method=request.method[:8],
            endpoint=name,
            path=_logged_path(request)[:300],
            status=status,
            error_code=call["error_code"][:40],
            ip=client_ip(request) or None,
            request_id=(getattr(request, "request_id", "") or current_request_id() or "")[:64],
            case_number=call["case_number"][:40],
            time=timezone.now(),
        )
    except Exception:  # the log must never turn an answer into a 500
        logger.exception("open311 call log failed")


def _scoped(queryset_events, area):
    return queryset_events.filter(path__startswith=area.path) if area is not None else queryset_events


# --- discovery and services -----------------------------------------------------------------------


@endpoint("discovery", ("GET",))
def discovery(request, fmt, *, client, area, data, call):
    changed = catalogue.changeset()
    body = {
        "changeset": changed,
        "contact": open311_setting("CONTACT") or str(_("请联系本市社会治理指挥中心")),
        "key_service": open311_setting("KEY_SERVICE")
        or str(_("API 密钥由系统管理员用 open311_client 命令发放")),
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": changed,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(body, fmt, "discovery", None)


@endpoint("services", ("GET",))
def service_list(request, fmt, *, client, area, data, call):
    rows = [catalogue.service_row(c) for c in catalogue.services()]
    return respond(rows, fmt, "services", "service")


@endpoint("service_definition", ("GET",))
def service_definition(request, fmt, *, client, area, data, call, code):
    category = catalogue.find_service(code)
    return respond(catalogue.definition(category), fmt, "service_definition", None)


# --- requests -------------------------------------------------------------------------------------


@endpoint("requests", ("GET", "POST"), key=("GET", "POST"))
def requests_(request, fmt, *, client, area, data, call):
    if request.method == "POST":
        return _post_request(request, fmt, client, data, call)
    events = _scoped(queries.events_in_scope(client.user), area)
    ids = params.comma_list(data, "service_request_id")
    page = params.page(data)
    if ids:
        if len(ids) > params.MAX_ROWS:
            raise Open311Error(400, _("service_request_id：一次最多查询 1000 个请求"), "too_many_ids")
        events = events.filter(number__in=ids)
    else:
        codes = params.comma_list(data, "service_code")
        if codes:
            events = events.filter(event__category__code__in=codes)
        statuses = {s.lower() for s in params.comma_list(data, "status")}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status：只能是 open 或 closed"), "invalid_status")
        if statuses == {"open"}:
            events = events.exclude(status__in=queries.CLOSED_STATUSES)
        elif statuses == {"closed"}:
            events = events.filter(status__in=queries.CLOSED_STATUSES)
        span = params.window(data)
        events = events.filter(opened_at__gte=span.start, opened_at__lte=span.end)
    ordered = events.order_by("-opened_at", "-id")[page.offset : page.offset + page.size]
    return respond(queries.request_rows(ordered, request), fmt, "service_requests", "request")


def _post_request(request, fmt, client, data, call):
    files = request.FILES.getlist("media")
    submitted = submit_request(client, data, files)
    call["case_number"] = submitted.case.number
    row = {"service_notice": submitted.case.event.category.notice}
    if submitted.account_id:  # "may not be returned": only when the client sent one
        row["account_id"] = submitted.account_id
    if catalogue.service_type() == "batch":
        row = {"token": submitted.token, **row}
    else:
        row = {"service_request_id": submitted.case.number, **row}
    return respond([row], fmt, "service_requests", "request")


@endpoint("request", ("GET",), key="GET")
def one_request(request, fmt, *, client, area, data, call, number):
    events = _scoped(queries.events_in_scope(client.user), area)
    rows = queries.request_rows(events.filter(number=number)[:1], request)
    if not rows:
        raise Open311Error(404, _("service_request_id：请求“%(id)s”不存在") % {"id": number}, "not_found")
    call["case_number"] = number
    return respond(rows, fmt, "service_requests", "request")


@endpoint("token", ("GET",), key="GET")
def token(request, fmt, *, client, area, data, call, token):
    # A client reads its own tokens only: another client's token looks like a missing one.
    found = SubmittedRequest.objects.select_related("case").filter(token=token, client=client).first()
    if found is None:
        raise Open311Error(404, _("token：令牌“%(token)s”不存在") % {"token": token}, "not_found")
    call["case_number"] = found.case.number
    return respond(
        [{"service_request_id": found.case.number, "token": found.token}], fmt, "service_requests", "request"
    )


# --- the mySociety update extension ----------------------------------------------------------------


@endpoint("updates", ("GET", "POST"), key=("GET", "POST"))
def updates(request, fmt, *, client, area, data, call):
    if request.method == "POST":
        entry = submit_update(client, data)
        call["case_number"] = entry.case.number
        return respond([{"update_id": str(entry.pk)}], fmt, "service_request_updates", "request_update")
    span = params.window(data)
    page = params.page(data)
    entries = queries.transitions_in_scope(client.user).filter(time__gte=span.start, time__lte=span.end)
    if area is not None:
        entries = entries.filter(case__path__startswith=area.path)
    ids = params.comma_list(data, "service_request_id")
    if ids:
        entries = entries.filter(case__number__in=ids[: params.MAX_ROWS])
    ordered = entries.order_by("time", "id")[page.offset : page.offset + page.size]
    return respond(queries.update_rows(ordered), fmt, "service_requests_updates", "request_update")


# --- media ------------------------------------------------------------------------------------------


def media(request, token: str):
    """/open311/media/<signed>/: a report photo behind a signed link (see queries.media_url_for)."""
    try:
        photo_id = signing.loads(token, salt=queries.MEDIA_SALT)
    except signing.BadSignature:
        raise Http404 from None
    photo = EventPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    return photo_response(photo)
