"""The only writer of the Open311 app: clients and their keys, and what a client submits.

A client's api_key is an ordinary accounts.ApiToken of the client's service account; the account
holds the built-in role "open311_client" over the client's area, so everything the client does is
checked by the platform's usual area scope (cases.report_case / cases.view_case).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from civicgrid.accounts import services as accounts
from civicgrid.accounts.models import Role
from civicgrid.areas.models import Area
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.events.intake import report_event
from civicgrid.events.models import Category, Channel
from civicgrid.events.photo_files import photo_files_kept_only_on_success
from civicgrid.events.services import do_add_reporter_update

from .catalogue import attribute_answers, find_service
from .errors import Open311Error
from .models import Call, Client, SubmittedRequest
from .settings import open311_setting

ROLE_CODE = "open311_client"
DESCRIPTION_MAX = 4000
_CLIENT_AUDIT_FIELDS = ("name", "contact", "user", "area", "token", "requests_per_minute", "revoked_at")


# --- clients --------------------------------------------------------------------------------------


def _username(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:20] or "client"
    return f"open311-{base}-{secrets.token_hex(3)}"


def do_create_client(*, actor, name: str, area: Area, contact: str = "", requests_per_minute=None):
    """A new client bound to `area`: its service account, the grant and its first key. Returns
    (client, raw api_key); the key is shown this once and only its digest is kept."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("required", _("请填写客户端名称"), field="name")
    if len(name) > 100:
        raise ServiceError("invalid", _("客户端名称不能超过 100 个字"), field="name")
    rate = open311_setting("REQUESTS_PER_MINUTE") if requests_per_minute is None else requests_per_minute
    if not isinstance(rate, int) or isinstance(rate, bool) or not 1 <= rate <= 100_000:
        raise ServiceError("invalid", _("每分钟调用上限应为 1 到 100000 的整数"), field="requests_per_minute")
    role = Role.objects.filter(code=ROLE_CODE, is_active=True).first()
    if role is None:
        raise ServiceError(
            "missing_role", _("内置角色“Open311 接入客户端”不存在，请先执行 migrate"), field=None
        )
    with transaction.atomic():
        if Client.objects.filter(name=name).exists():
            raise ServiceError("taken", _("客户端名称“%(name)s”已被使用") % {"name": name}, field="name")
        user = accounts.do_create_user(
            actor=actor,
            username=_username(name),
            password=None,
            display_name=f"Open311: {name}"[:50],
            area=area,
        )
        accounts.do_grant_role(actor=actor, user=user, role=role, area=area)
        token, raw = accounts.do_create_api_token(actor=actor, user=user, name=f"Open311 {name}")
        client = Client.objects.create(
            name=name,
            contact=(contact or "").strip()[:200],
            user=user,
            area=area,
            token=token,
            requests_per_minute=rate,
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=client,
            before=None,
            after=snapshot(client, fields=_CLIENT_AUDIT_FIELDS),
        )
    return client, raw


def _change_client(client: Client, *, actor, change) -> Client:
    """Lock the client, refuse a revoked one, apply `change(client)` and audit the difference."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is not None:
            raise ServiceError("revoked", _("该客户端已被吊销"), field=None)
        before = snapshot(client, fields=_CLIENT_AUDIT_FIELDS)
        if client.token is not None and client.token.revoked_at is None:
            accounts.do_revoke_api_token(client.token, actor=actor)
        change(client)
        client.save(update_fields=["token", "revoked_at", "updated_at"])
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=client,
            before=before,
            after=snapshot(client, fields=_CLIENT_AUDIT_FIELDS),
        )
    return client


def do_rotate_key(client: Client, *, actor) -> str:
    """A new key for the client; the old one stops working at once. Returns the raw new key."""
    raw_keys = []

    def rotate(locked: Client) -> None:
        token, raw = accounts.do_create_api_token(
            actor=actor, user=locked.user, name=f"Open311 {locked.name}"
        )
        locked.token = token
        raw_keys.append(raw)

    _change_client(client, actor=actor, change=rotate)
    return raw_keys[0]


def do_revoke_client(client: Client, *, actor) -> Client:
    """Revoke the client: its key is refused from the next call on, its account is deactivated.
    What it submitted stays."""

    def revoke(locked: Client) -> None:
        accounts.do_deactivate_user(locked.user, actor=actor)
        locked.revoked_at = timezone.now()

    return _change_client(client, actor=actor, change=revoke)


def client_for_key(raw: str | None) -> Client:
    """The live client behind an api_key, or a 403 (missing, unknown, revoked)."""
    from civicgrid.accounts.authentication import user_for_token

    raw = (raw or "").strip()
    if not raw:
        raise Open311Error(403, _("api_key：缺少 API 密钥"), "missing_api_key")
    user = user_for_token(raw)
    client = None
    if user is not None:
        client = (
            Client.objects.select_related("area", "user").filter(user=user, revoked_at__isnull=True).first()
        )
    if client is None or client.token_id != user._token_id:
        raise Open311Error(403, _("api_key：API 密钥无效或已吊销"), "invalid_api_key")
    client.user = user  # carries the token id and the grants cache
    return client


def check_rate(client: Client) -> None:
    """A 429 once the client made its limit of calls in the last 60 seconds (a sliding window
    counted from the call log itself, so every worker process sees the same count and a call costs
    no second write; refused calls count too)."""
    since = timezone.now() - dt.timedelta(seconds=60)
    if Call.objects.filter(client=client, time__gte=since).count() >= client.requests_per_minute:
        raise Open311Error(
            429,
            _("调用过于频繁：每分钟最多 %(n)s 次，请稍后再试") % {"n": client.requests_per_minute},
            "throttled",
        )


# --- POST requests --------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def parse_attributes(data) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 → {code: [values]}.
    Anything else starting with "attribute" is malformed (400 naming it)."""
    found: dict[str, list[str]] = {}
    for key in data:
        if not key.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(key)
        if match is None:
            raise Open311Error(
                400,
                _("%(key)s：属性参数格式应为 attribute[代码] 或 attribute[代码][]") % {"key": key},
                "malformed_attribute",
            )
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            found.setdefault(match.group(1), []).extend(values)
    return found


def _number(data, name: str):
    value = (data.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, _("%(name)s：应为数字") % {"name": name}, "invalid_number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Open311Error(400, _("%(name)s：应为数字") % {"name": name}, "invalid_number")
    return number


def _text(data, name: str, limit: int) -> str:
    value = (data.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, _("%(name)s：不能超过 %(n)s 个字符") % {"name": name, "n": limit}, "too_long")
    return value


def _media_url(data) -> str:
    value = _text(data, "media_url", 500)
    if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise Open311Error(400, _("media_url：应为 http 或 https 网址"), "invalid_media_url")
    return value


@dataclass
class Location:
    lon: float | None
    lat: float | None
    area_code: str | None
    address: str
    address_id: str


def _location(data, client: Client) -> Location:
    lat, lon = _number(data, "lat"), _number(data, "long")
    address = _text(data, "address_string", 200)
    address_id = _text(data, "address_id", 100)
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("lat/long：经纬度必须同时提供"), "partial_location")
    if lat is None and not address and not address_id:
        raise Open311Error(
            400, _("location：请提供 lat 和 long、address_string 或 address_id 之一"), "missing_location"
        )
    area_code = None
    if lat is None:
        # An address_id naming an area of the tree (a village's code) places the event there; any
        # other address is kept as text and the event is placed in the client's own area, for the
        # dispatcher to locate precisely.
        known = address_id and Area.objects.filter(code=address_id, is_active=True).exists()
        area_code = address_id if known else client.area.code
    return Location(lon, lat, area_code, address, address_id)


def _reporter_name(data) -> str:
    family, given = _text(data, "last_name", 50), _text(data, "first_name", 50)
    if family and given and re.search(r"[\u4e00-\u9fff]", family + given):
        return (family + given)[:50]
    return " ".join(p for p in (given, family) if p)[:50]


def _title(description: str, service: Category) -> str:
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if not first:
        return service.name
    return first if len(first) <= 30 else first[:29] + "…"


def submit_request(client: Client, data, files=()) -> SubmittedRequest:
    """POST requests: check every parameter, then open the event through the ordinary intake (channel
    "open311", actor the client's account) and record what Open311 adds, in one transaction."""
    service = find_service(data.get("service_code"))
    attributes = parse_attributes(data)
    location = _location(data, client)
    description = _text(data, "description", DESCRIPTION_MAX)
    media_url = _media_url(data)
    email = _text(data, "email", 200)
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise Open311Error(400, _("email：邮箱格式不正确"), "invalid_email")
    answers = attribute_answers(service, attributes)
    try:
        with photo_files_kept_only_on_success(), transaction.atomic():
            result = report_event(
                actor=client.user,
                title=_title(description, service),
                channel=Channel.OPEN311,
                description=description,
                category=service,
                lon=location.lon,
                lat=location.lat,
                crs="wgs84",
                area_code=location.area_code,
                address=location.address,
                reporter_name=_reporter_name(data),
                reporter_phone=_text(data, "phone", 30),
                answers=answers,
                photos=list(files),
            )
            return SubmittedRequest.objects.create(
                case=result.case,
                client=client,
                token=uuid.uuid4().hex,
                address_id=location.address_id,
                media_url=media_url,
                device_id=_text(data, "device_id", 100),
                account_id=_text(data, "account_id", 100),
                email=email,
                submitted_at=timezone.now(),
            )
    except NotPermitted:
        raise Open311Error(403, _("location：事发位置不在该 API 密钥授权的区域内"), "outside_area") from None
    except ServiceError as error:
        raise Open311Error(400, f"{open311_field(error.field)}：{error.message}", error.code) from None


def open311_field(field: str | None) -> str:
    """The Open311 parameter an intake error concerns (answers.x → attribute[x])."""
    if not field:
        return "request"
    if field.startswith("answers."):
        return f"attribute[{field.removeprefix('answers.')}]"
    return {
        "photos": "media",
        "location": "lat/long",
        "coordinates": "lat/long",
        "area_code": "address_id",
        "lon": "long",
    }.get(field.split("[")[0], field)


# --- POST servicerequestupdates (the mySociety extension) -----------------------------------------

UPDATE_RESOLVED = {"closed": True, "fixed": True, "open": False, "reopen": False}


def submit_update(client: Client, data):
    """A reporter's follow-up on a request: a timeline note for the centre; a status the reporter
    sends (closed/fixed: "they say it is solved", open: "they say it is not") is recorded with it,
    never applied: only the centre moves a case."""
    number = (data.get("service_request_id") or "").strip()
    if not number:
        raise Open311Error(400, _("service_request_id：缺少请求编号"), "required")
    status = (data.get("status") or "").strip().lower()
    if status and status not in UPDATE_RESOLVED:
        raise Open311Error(400, _("status：应为 OPEN 或 CLOSED"), "invalid_status")
    note = _text(data, "description", DESCRIPTION_MAX)
    media_url = _media_url(data)
    if media_url:
        note = f"{note}\n{media_url}".strip()
    case = Case.objects.restrict(client.user, "cases.view_case").filter(kind="event", number=number).first()
    if case is None:
        raise Open311Error(404, _("service_request_id：请求“%(id)s”不存在") % {"id": number}, "not_found")
    try:
        return do_add_reporter_update(
            case, actor=client.user, note=note, says_resolved=UPDATE_RESOLVED.get(status)
        )
    except NotPermitted:
        raise Open311Error(
            404, _("service_request_id：请求“%(id)s”不存在") % {"id": number}, "not_found"
        ) from None
    except ServiceError as error:
        raise Open311Error(400, f"{open311_field(error.field)}：{error.message}", error.code) from None
