"""The citizen pages' services: report an event without a staff login, follow it by number and
query code (查询码), and rate its handling (评价) — all through the event pipeline and services.

Who acts: an anonymous citizen is `actor=None`, the kernel's "intake channel that authenticated the
reporter itself" (cases.services.do_open_case): the citizen's identity is the name and mobile phone
they give (personal data in EventDetails, masked for staff without the reveal permission); the
timeline and the audit show "系统" as the actor and the channel "citizen" says where it came from.
These services are the gate instead of a permission: following needs the number and its code (or
the phone used), rating needs that plus a closed case not yet rated in this round.

The query code: 8 characters from an alphabet without look-alikes (31^8 ≈ 8.5×10^11), stored
only as a password hash (Django's hasher, Argon2 here). Verification needs no secret of the
installation, so a SECRET_KEY rotation never locks citizens out. The code is derived from the
submission's random key with the SECRET_KEY (HMAC) only so that a repeated submission of the same
form (double click, reload) shows the same code again; the stored hash is what counts.

Abuse protection (an intranet or an Internet gateway, no external service): fixed-window counters
in Django's cache per client IP and per phone for reports, per IP and per case number for failed
follow attempts; a wrong pair, an unknown number and a throttled request all look alike.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases.models import Case
from civicgrid.core.errors import ServiceError

from .forms import active_minor_categories
from .intake import IntakeResult, report_event
from .models import Category, CitizenAccess, EventDetails, Satisfaction
from .services import do_callback_event

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 8
MOBILE = re.compile(r"^1[3-9]\d{9}$")
SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")
KEY_PREFIX = "citizen:"
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000

# Defaults of the CIVICGRID_CITIZEN_* settings (each may be overridden in settings).
DEFAULTS = {
    "CIVICGRID_CITIZEN_REPORTS_PER_IP_HOUR": 10,
    "CIVICGRID_CITIZEN_REPORTS_PER_PHONE_DAY": 5,
    "CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_IP_HOUR": 20,
    "CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_CASE_HOUR": 10,
    "CIVICGRID_CITIZEN_RATINGS_PER_IP_HOUR": 20,
    # 大类 or 小类 codes the citizen form does not offer (internal classes such as 特殊人群服务).
    "CIVICGRID_CITIZEN_HIDDEN_CATEGORIES": ("13",),
    "CIVICGRID_CITIZEN_CACHE": "default",
}


class CitizenErrorCode:
    THROTTLED = "throttled"
    REQUIRED = "required"
    INVALID_PHONE = "invalid_phone"
    INVALID_NAME = "invalid_name"
    INVALID_DESCRIPTION = "invalid_description"
    EMERGENCY = "emergency"
    UNKNOWN_CATEGORY = "unknown_category"
    INVALID_SUBMISSION = "invalid_submission"
    NOT_FOUND = "not_found"
    NOT_CLOSED = "not_closed"
    ALREADY_RATED = "already_rated"


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


# --- throttling -----------------------------------------------------------------------------------


def _cache():
    return caches[setting("CIVICGRID_CITIZEN_CACHE")]


def address_key(ip: str) -> str:
    """The client address as a throttling key: an IPv6 address counts by its /64 (one subscriber's
    network), an IPv4 address by itself."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return (ip or "").strip()
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _bucket(scope: str, key: str, window: int) -> str:
    # The key is hashed: phone numbers and IPs do not sit in the cache in clear.
    digest = salted_hmac("civicgrid.citizen.throttle", f"{scope}:{key}").hexdigest()[:32]
    return f"citizen-throttle:{scope}:{int(timezone.now().timestamp()) // window}:{digest}"


def throttle_count(scope: str, key: str, window: int) -> int:
    return int(_cache().get(_bucket(scope, key, window), 0) or 0)


def throttle_hit(scope: str, key: str, window: int) -> int:
    """Count one hit in the current fixed window; return the count."""
    cache, name = _cache(), _bucket(scope, key, window)
    if cache.add(name, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window + 5)
        return 1


def throttled_error() -> ServiceError:
    return ServiceError(CitizenErrorCode.THROTTLED, _("操作过于频繁，请稍后再试"), field=None)


def _check(limits) -> None:
    """limits: (scope, key, window seconds, limit); refuse when any bucket is full."""
    for scope, key, window, limit in limits:
        if key and throttle_count(scope, key, window) >= int(limit):
            raise throttled_error()


def _hit(limits) -> None:
    for scope, key, window, _limit in limits:
        if key:
            throttle_hit(scope, key, window)


# --- categories -----------------------------------------------------------------------------------


def _hidden(category: Category) -> bool:
    hidden = set(setting("CIVICGRID_CITIZEN_HIDDEN_CATEGORIES") or ())
    return category.code in hidden or (category.parent is not None and category.parent.code in hidden)


def hidden_category_q(category_path: str = "event__category") -> Q:
    """`_hidden` as a query condition on the category reached by `category_path` (public and
    machine interfaces list no event of an internal class)."""
    hidden = list(setting("CIVICGRID_CITIZEN_HIDDEN_CATEGORIES") or ())
    return Q(**{f"{category_path}__code__in": hidden}) | Q(**{f"{category_path}__parent__code__in": hidden})


def public_categories() -> list[Category]:
    """The classes a citizen may choose: active, not hidden, not emergencies."""
    return [c for c in active_minor_categories() if not c.emergency_transfer and not _hidden(c)]


def emergency_categories() -> list[Category]:
    """Emergencies are never reported here: the page tells the citizen whom to call instead."""
    return [c for c in active_minor_categories() if c.emergency_transfer]


def emergency_services() -> list[str]:
    return sorted({c.emergency_transfer for c in emergency_categories()})


def _public_category(code) -> Category | None:
    if code in (None, ""):
        return None
    category = Category.objects.select_related("parent").filter(code=str(code).strip()).first()
    if category is not None and category.emergency_transfer:
        raise ServiceError(
            CitizenErrorCode.EMERGENCY,
            _("紧急情况请立即拨打 %(phone)s，不要在网上反映") % {"phone": category.emergency_transfer},
            field="category",
        )
    if category is None or _hidden(category) or not active_minor_categories().filter(pk=category.pk).exists():
        raise ServiceError(CitizenErrorCode.UNKNOWN_CATEGORY, _("请选择列表中的问题类别"), field="category")
    return category


# --- the query code -------------------------------------------------------------------------------


def normalize_code(value) -> str:
    return re.sub(r"[\s-]", "", str(value or "")).upper()


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def derive_code(submission_key: str) -> str:
    digest = salted_hmac("civicgrid.citizen.query-code", submission_key).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


def normalize_phone(value) -> str:
    return re.sub(r"[\s-]", "", str(value or "")).removeprefix("+86")


# --- report ---------------------------------------------------------------------------------------


@dataclass
class CitizenReport:
    case: Case
    code: str  # formatted, e.g. "K7QM-3XWP"
    created: bool


def _clean_report(description, name, phone) -> tuple[str, str, str]:
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN or len(description) > DESCRIPTION_MAX:
        raise ServiceError(
            CitizenErrorCode.INVALID_DESCRIPTION,
            _("请用 %(min)s 至 %(max)s 个字描述问题") % {"min": DESCRIPTION_MIN, "max": DESCRIPTION_MAX},
            field="description",
        )
    name = (name or "").strip()
    if not name:
        raise ServiceError(CitizenErrorCode.REQUIRED, _("请填写您的姓名"), field="reporter_name")
    if len(name) > 50 or any(ch.isdigit() or ch in "<>" for ch in name):
        raise ServiceError(
            CitizenErrorCode.INVALID_NAME, _("姓名不能含数字或符号，且不超过 50 字"), field="reporter_name"
        )
    phone = normalize_phone(phone)
    if not MOBILE.match(phone):
        raise ServiceError(
            CitizenErrorCode.INVALID_PHONE,
            _("请填写 11 位手机号码，例如 13800138000"),
            field="reporter_phone",
        )
    return description, name, phone


def do_citizen_report(
    *,
    description: str,
    reporter_name: str,
    reporter_phone: str,
    submission_key: str,
    category=None,
    lon=None,
    lat=None,
    area_code: str | None = None,
    address: str = "",
    answers=None,
    photos=(),
    client_ip: str = "",
) -> CitizenReport:
    """Report an event as a citizen (channel "citizen", actor None) through intake.report_event.
    Returns the case and its query code. A repeated submission (same key) returns the same case
    and code and is not counted against the limits. Raises ServiceError naming the field."""
    if not SUBMISSION_KEY.match(submission_key or ""):
        raise ServiceError(
            CitizenErrorCode.INVALID_SUBMISSION, _("表单已失效，请刷新页面后重新填写"), field=None
        )
    key = KEY_PREFIX + submission_key
    code = derive_code(key)
    repeated = EventDetails.objects.filter(idempotency_key=key).select_related("case").first()
    if repeated is not None:
        return CitizenReport(_repeated(repeated.case, code), format_code(code), False)
    description, name, phone = _clean_report(description, reporter_name, reporter_phone)
    limits = [
        ("report-ip", address_key(client_ip), 3600, setting("CIVICGRID_CITIZEN_REPORTS_PER_IP_HOUR")),
        ("report-phone", phone, 86400, setting("CIVICGRID_CITIZEN_REPORTS_PER_PHONE_DAY")),
    ]
    _check(limits)
    chosen = _public_category(category)
    title = Truncator(" ".join(description.split())).chars(40)
    with transaction.atomic():
        result: IntakeResult = report_event(
            actor=None,
            title=title,
            channel="citizen",
            description=description,
            category=chosen,
            lon=lon,
            lat=lat,
            area_code=area_code or None,
            address=address,
            reporter_name=name,
            reporter_phone=phone,
            answers=answers,
            photos=photos,
            idempotency_key=key,
        )
        if not result.created:  # a concurrent twin won the race
            return CitizenReport(_repeated(result.case, code), format_code(code), False)
        store_query_code(result.case, code, actor=None)
    _hit(limits)
    return CitizenReport(result.case, format_code(code), True)


_ACCESS_AUDIT = ("case", "created_at")  # never the code's hash


def store_query_code(case: Case, code: str, *, actor) -> CitizenAccess:
    """Keep the hash of `code` as the case's query code (查询码), replacing an earlier one (which
    stops working), inside the caller's transaction; audited without the code."""
    access = CitizenAccess.objects.filter(case=case).first()
    if access is None:
        access = CitizenAccess.objects.create(
            case=case, code_hash=make_password(code), created_at=timezone.now()
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=access,
            before=None,
            after=snapshot(access, fields=_ACCESS_AUDIT),
        )
        return access
    before = snapshot(access, fields=_ACCESS_AUDIT)
    access.code_hash = make_password(code)
    access.created_at = timezone.now()
    access.save(update_fields=["code_hash", "created_at"])
    record_change(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=access,
        before=before,
        after=snapshot(access, fields=_ACCESS_AUDIT),
    )
    return access


def issue_query_code(case: Case, *, actor) -> str:
    """A new random query code for an event opened on the citizen's behalf (at the one-stop desk):
    stored as a hash, returned formatted (XXXX-XXXX) to be shown once."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    store_query_code(case, code, actor=actor)
    return format_code(code)


def _repeated(case: Case, code: str) -> Case:
    access = CitizenAccess.objects.filter(case=case).first()
    if access is None or not check_password(code, access.code_hash):
        # Not a citizen submission of this form (or the SECRET_KEY changed in between).
        raise ServiceError(
            CitizenErrorCode.INVALID_SUBMISSION, _("表单已失效，请刷新页面后重新填写"), field=None
        )
    return case


# --- follow ---------------------------------------------------------------------------------------

_DUMMY_HASH: list[str] = []


def _burn(secret: str) -> None:
    """Spend the time a real check would, so an unknown number answers as slowly as a wrong code."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(secrets.token_hex(8)))
    check_password(secret, _DUMMY_HASH[0])


def not_found_error() -> ServiceError:
    return ServiceError(
        CitizenErrorCode.NOT_FOUND,
        _("编号与查询码（或手机号）不匹配，请核对后重试"),
        field="secret",
    )


def find_citizen_case(number, secret, *, client_ip: str = "") -> Case:
    """The citizen-reported event with this number whose query code (or reporting phone) matches.
    A wrong pair, an unknown number and a throttled client get errors that reveal nothing more."""
    number = (str(number or "")).strip()[:40]
    secret_text = str(secret or "")[:40]
    limits = [
        ("follow-ip", address_key(client_ip), 3600, setting("CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_IP_HOUR")),
        ("follow-case", number, 3600, setting("CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_CASE_HOUR")),
    ]
    _check(limits)
    access = (
        CitizenAccess.objects.select_related("case", "case__event").filter(case__number=number).first()
        if number
        else None
    )
    if access is not None and _matches(access, secret_text):
        return access.case
    if access is None:
        _burn(normalize_code(secret_text))
        # Unknown numbers count against the address only: random numbers must not fill the cache.
        limits = limits[:1]
    _hit(limits)
    raise not_found_error()


def _matches(access: CitizenAccess, secret: str) -> bool:
    phone = normalize_phone(secret)
    if MOBILE.match(phone):
        return constant_time_compare(phone, access.case.event.reporter_phone)
    code = normalize_code(secret)
    if len(code) != CODE_LENGTH:
        _burn(code)
        return False
    return check_password(code, access.code_hash)


# --- rate -----------------------------------------------------------------------------------------


def can_rate(case: Case, access: CitizenAccess | None = None) -> bool:
    access = access or CitizenAccess.objects.filter(case=case).first()
    return (
        access is not None
        and case.status == "closed"
        and (access.rated_at is None or (case.closed_at is not None and access.rated_at < case.closed_at))
    )


def do_citizen_rate(
    case: Case | int, *, satisfaction: str, resolved, comment: str = "", client_ip: str = ""
) -> Case:
    """The citizen's verdict on a closed event, recorded as the callback (回访) through
    services.do_callback_event, so the three rates count it and 不满意 reopens it. Once per
    closure: a second attempt gets "already_rated". The caller has checked number and code."""
    if satisfaction not in Satisfaction.values:
        raise ServiceError(
            "invalid_satisfaction", _("请选择满意度：满意、基本满意或不满意"), field="satisfaction"
        )
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ServiceError(CitizenErrorCode.INVALID_DESCRIPTION, _("意见不能超过 500 字"), field="comment")
    limits = [("rate-ip", address_key(client_ip), 3600, setting("CIVICGRID_CITIZEN_RATINGS_PER_IP_HOUR"))]
    _check(limits)
    pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        access = CitizenAccess.objects.select_for_update().filter(case_id=pk).first()
        if access is None:
            raise not_found_error()
        fresh = Case.objects.select_for_update().get(pk=pk)
        if access.rated_at is not None and fresh.closed_at and access.rated_at >= fresh.closed_at:
            raise ServiceError(
                CitizenErrorCode.ALREADY_RATED,
                _("您已评价过本次办理结果，感谢您的反馈"),
                field="satisfaction",
            )
        if fresh.status == "done":  # the staff's phone callback came first
            raise ServiceError(
                CitizenErrorCode.ALREADY_RATED,
                _("工作人员已就本次办理结果回访过您，感谢您的反馈"),
                field="satisfaction",
            )
        if fresh.status != "closed":
            raise ServiceError(
                CitizenErrorCode.NOT_CLOSED, _("事件办结后才能评价，请耐心等待"), field="satisfaction"
            )
        label = Satisfaction(satisfaction).label
        note = _("群众在线评价：%(label)s") % {"label": label}
        if comment:
            note = "\n".join([note, _("群众意见：%(comment)s") % {"comment": comment}])
        result = do_callback_event(
            fresh,
            actor=None,
            expected_version=fresh.version,
            satisfaction=satisfaction,
            contacted=True,
            resolved=bool(resolved),
            note=note,
        )
        before = snapshot(access, fields=("rated_at", "rating_count"))
        access.rated_at = timezone.now()
        access.rating_count += 1
        access.save(update_fields=["rated_at", "rating_count"])
        record_change(
            actor=None,
            action=ChangeAction.UPDATE,
            instance=access,
            before=before,
            after=snapshot(access, fields=("rated_at", "rating_count")),
        )
    _hit(limits)
    return result


# --- what the citizen sees ------------------------------------------------------------------------

_STATUS_WORDS = {
    "reported": (gettext_lazy("已提交，等待受理"), "new"),
    "registered": (gettext_lazy("已受理，正在安排办理"), "open"),
    "rejected": (gettext_lazy("不予受理"), "closed"),
    "transferred": (gettext_lazy("已转交紧急救援部门"), "closed"),
    "merged": (gettext_lazy("已与相同问题合并办理"), "closed"),
    "dispatched": (gettext_lazy("已交办理单位"), "open"),
    "objected": (gettext_lazy("正在安排办理单位"), "open"),
    "accepted": (gettext_lazy("正在办理"), "open"),
    "handled": (gettext_lazy("办理完毕，正在核实"), "open"),
    "verified": (gettext_lazy("办理完毕，正在核实"), "open"),
    "closed": (gettext_lazy("已办结，欢迎评价"), "closed"),
    "done": (gettext_lazy("已办结"), "closed"),
}

# Timeline actions shown to the public, in citizen words; anything else (objections, urging,
# supervision, escalation, notes, deadlines) is internal and left out, as are notes and actors.
_ACTION_WORDS = {
    "register": gettext_lazy("您反映的问题已受理"),
    "reject": gettext_lazy("经审核不予受理，如有疑问请拨打 12345 咨询"),
    "merge": gettext_lazy("已与其他群众反映的相同问题合并办理"),
    "dispatch": gettext_lazy("已交由办理单位处理"),
    "designate": gettext_lazy("已交由办理单位处理"),
    "accept": gettext_lazy("办理单位已接收，正在办理"),
    "self_handle": gettext_lazy("网格员已现场处理"),
    "handle": gettext_lazy("办理单位已反馈结果，正在核实"),
    "rework": gettext_lazy("核实后需继续办理，正在办理"),
    "close": gettext_lazy("已办结"),
    "reopen": gettext_lazy("根据回访意见重新办理"),
}


def citizen_status(case: Case) -> dict:
    target = getattr(getattr(case, "event", None), "transfer_target", "")
    return status_in_words(case.status, target)


def status_in_words(status: str, transfer_target: str = "") -> dict:
    """An event status in citizen words, with its colour modifier."""
    words, modifier = _STATUS_WORDS.get(status, (gettext_lazy("办理中"), "open"))
    if status == "transferred" and transfer_target:
        words = _("已转交 %(target)s 处理") % {"target": transfer_target}
    return {"text": str(words), "modifier": modifier}


def public_words(entry) -> str | None:
    """What a timeline entry says to the public (citizen words), or None for an internal entry."""
    if entry.kind == "opened":
        return str(_("收到您的反映"))
    if entry.kind != "transition":
        return None
    if entry.action == "transfer":
        return _("属于紧急情况，已转交 %(target)s 处理") % {"target": entry.data.get("target", "")}
    if entry.action == "callback":
        label = dict(Satisfaction.choices).get(entry.data.get("satisfaction"), "")
        return _("已回访，评价：%(label)s") % {"label": label}
    if entry.action in _ACTION_WORDS:
        return str(_ACTION_WORDS[entry.action])
    return None


def public_timeline(case: Case) -> list[dict]:
    """The case's timeline in citizen words: time and what happened, nothing else."""
    rows: list[dict] = []
    for entry in case.timeline.filter(kind__in=("opened", "transition")).order_by("time", "id"):
        text = public_words(entry)
        if text is None or (rows and rows[-1]["text"] == text):
            continue
        rows.append({"time": entry.time, "text": text})
    return rows
