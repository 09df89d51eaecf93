"""Per-row checks of the bulk import, and the reference data they need, loaded once per import.

`check_row(values, ref)` turns one row's {field: value} into a `Row`, raising ServiceError (code,
Chinese message, field) on the first problem, with the same checks and messages as intake
(`intake.report_event`) for the intake fields, and the state checks of docs/bulk-import.md for the
final state of a historical case. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Unit
from civicgrid.areas.coords import CoordinateError, check_point, to_wgs84
from civicgrid.areas.models import Area
from civicgrid.areas.spatial_index import AreaRecord, get_index
from civicgrid.calendars.store import get_calendar
from civicgrid.cases.choices import HandlingLevel
from civicgrid.cases.error_codes import CaseErrorCode
from civicgrid.core.deadlines import LOCAL_TZ, Clock, Limit
from civicgrid.core.errors import ServiceError

from ..catalogue import ancestor_paths
from ..classify import TITLE_FACTOR, Classifier, Suggestion, _consume, normalise
from ..intake import EventErrorCode, clean_answers
from ..models import Channel, DispatchRule, Satisfaction
from ..services import objection_limit

REPORTED, DISPATCHED, CLOSED, DONE = "reported", "dispatched", "closed", "done"
STATUSES = {
    REPORTED: REPORTED,
    "已上报": REPORTED,
    DISPATCHED: DISPATCHED,
    "已派遣": DISPATCHED,
    CLOSED: CLOSED,
    "已结案": CLOSED,
    DONE: DONE,
    "已回访": DONE,
}
SATISFACTIONS = {
    Satisfaction.SATISFIED.value: Satisfaction.SATISFIED.value,
    "满意": Satisfaction.SATISFIED.value,
    Satisfaction.BASICALLY.value: Satisfaction.BASICALLY.value,
    "基本满意": Satisfaction.BASICALLY.value,
    Satisfaction.DISSATISFIED.value: Satisfaction.DISSATISFIED.value,
    "不满意": Satisfaction.DISSATISFIED.value,
}
YES_NO = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    True: True,
    False: False,
}
# The state fields each status may carry (the others must be empty: nothing is silently dropped).
ALLOWED = {
    REPORTED: (),
    DISPATCHED: ("lead_unit", "co_units", "dispatched_at"),
    CLOSED: ("lead_unit", "co_units", "dispatched_at", "accepted_at", "handled_at", "result", "closed_at"),
}
ALLOWED[DONE] = (*ALLOWED[CLOSED], "satisfaction", "callback_at", "callback_resolved")
STATE_VALUE_FIELDS = ALLOWED[DONE]
HANDLING_LEVELS = frozenset(HandlingLevel.values)
TEXT_FIELDS = ("title", "description", "address", "reporter_name", "reporter_phone", "result")
CHANNELS = frozenset(Channel.values)


@dataclass(slots=True)
class Row:
    """One checked row; the batch fills in the place, the routing and the duplicates."""

    line: int
    title: str
    description: str
    channel: str
    category: object  # Category | None
    answers: dict
    lon: float | None
    lat: float | None
    area_code: str
    address: str
    reporter_name: str
    reporter_phone: str
    key: str | None
    opened_at: dt.datetime
    status: str = REPORTED
    lead_code: str = ""
    co_codes: tuple = ()
    dispatched_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    handled_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    callback_at: dt.datetime | None = None
    result: str = ""
    satisfaction: str = ""
    resolved: bool = True
    # filled in by the batch
    area: object = None  # AreaRecord-like: id, code, level, path
    grid_id: int | None = None
    path: str = ""
    suggestions: list = field(default_factory=list)
    lead_id: int | None = None
    co_ids: tuple = ()
    rule_id: int | None = None
    case_id: int = 0
    number: str = ""


def _has(value) -> bool:
    return value not in (None, "")


def parse_time(value, name: str) -> dt.datetime | None:
    """A time cell: a datetime (XLSX) or ISO 8601 text ("/" allowed for "-"); naive is Asia/Shanghai."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(0))
    else:
        text = str(value).strip().replace("/", "-")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = parse_datetime(text)
        if parsed is None:
            raise ServiceError(
                "invalid", _("时间“%(value)s”无法识别（应为 ISO 8601）") % {"value": value}, name
            )
    # Kept in UTC: the database adapters then need no time-zone conversion per use.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)).astimezone(dt.UTC)


class FastClassifier:
    """`classify.Classifier.suggest` with the same answers, faster for a batch: instead of looking
    for each of the few hundred keywords in the text, it looks up the text's substrings of the
    keywords' lengths, then scores only the keywords present, in the classifier's order (a keyword
    absent from the text changes nothing in the original's loop)."""

    def __init__(self, classifier: Classifier):
        self.categories, self.order = classifier.categories, classifier.order
        self.rank = {word: i for i, (word, _owners) in enumerate(classifier.keywords)}
        self.owners = dict(classifier.keywords)
        self.lengths = sorted({len(word) for word in self.rank})

    def _present(self, text: str, found: set) -> None:
        rank, size = self.rank, len(text)
        for n in self.lengths:
            for i in range(size - n + 1):
                if text[i : i + n] in rank:
                    found.add(text[i : i + n])

    def suggest(self, title: str = "", description: str = "", limit: int = 3) -> list[Suggestion]:
        title, description = normalise(title), normalise(description)
        present: set = set()
        self._present(title, present)
        self._present(description, present)
        if not present:
            return []
        title_covered, body_covered = [False] * len(title), [False] * len(description)
        scores: dict[int, float] = {}
        hits: dict[int, list[str]] = {}
        for word in sorted(present, key=self.rank.__getitem__):
            in_title = _consume(title_covered, title, word)
            in_body = _consume(body_covered, description, word)
            if not (in_title or in_body):
                continue
            for pk, weight in self.owners[word]:
                scores[pk] = scores.get(pk, 0.0) + weight * (TITLE_FACTOR if in_title else 1.0)
                hits.setdefault(pk, []).append(word)
        ranked = sorted(scores, key=lambda pk: (-scores[pk], self.order[pk]))
        return [
            Suggestion(self.categories[pk], round(scores[pk], 2), tuple(hits[pk])) for pk in ranked[:limit]
        ]


class Reference:
    """What the checks and the batch look up, read once per import: the taxonomy (and its
    classifier), the spatial index, the dispatch catalogue, units and areas by code, the calendar
    with a cache of computed deadlines."""

    def __init__(self):
        self.classifier = FastClassifier(Classifier.from_database())
        self.categories = {c.code: c for c in self.classifier.categories.values()}
        self.limits = {
            c.pk: (c.response_limit, c.handling_limit) for c in self.classifier.categories.values()
        }
        self.index = get_index()
        self.calendar = get_calendar()
        self.objection = objection_limit()
        self.answer_fields: tuple[str, ...] = ()
        self.state_fields: tuple[str, ...] = STATE_VALUE_FIELDS
        # Areas and units by code, read whole (a city has thousands at most): the checks then read
        # nothing from the database, so they can run in a worker process.
        self._areas: dict[str, object] = {
            code: AreaRecord(pk, code, name, level, path, parent_id)
            for pk, code, name, level, path, parent_id in Area.objects.filter(is_active=True).values_list(
                "pk", "code", "name", "level", "path", "parent_id"
            )
        }
        self._units: dict[str, int] = dict(Unit.objects.filter(is_active=True).values_list("code", "pk"))
        self._routes: dict[tuple, tuple] = {}
        self._due: dict[tuple, object] = {}
        self._rules: dict[tuple[int, str], list] = {}
        rules = (
            DispatchRule.objects.filter(is_active=True, lead_unit__is_active=True)
            .select_related("area", "category")
            .prefetch_related("co_handlers__area")
        )
        for rule in rules:
            co = sorted(
                (u for u in rule.co_handlers.all() if u.is_active), key=lambda u: (u.area.code, u.code)
            )
            entry = (rule.area.path, rule.category.parent_id is None, rule.pk, rule.lead_unit_id, co)
            self._rules.setdefault((rule.category_id, rule.area.path), []).append(entry)

    def use_fields(self, names) -> None:
        """The fields the file can fill (mapped columns and defaults): only those are looked at."""
        self.answer_fields = tuple(sorted(n for n in names if n.startswith("answers.")))
        self.state_fields = tuple(n for n in STATE_VALUE_FIELDS if n in names)

    def category(self, value):
        if not _has(value):
            return None
        category = self.categories.get(str(value).strip())
        if category is None:
            raise ServiceError(
                EventErrorCode.UNKNOWN_CATEGORY,
                _("事件分类“%(code)s”不存在或已停用，请选择一个有效的小类") % {"code": value},
                field="category",
            )
        return category

    def area_by_code(self, code):
        code = str(code).strip()
        area = self._areas.get(code)
        if area is None:
            raise ServiceError(
                EventErrorCode.UNKNOWN_AREA, _("区划代码“%(code)s”不存在") % {"code": code}, field="area_code"
            )
        return area

    def unit(self, code: str, name: str) -> int:
        pk = self._units.get(code)
        if pk is None:
            raise ServiceError(
                CaseErrorCode.INACTIVE_UNIT, _("单位“%(unit)s”不存在或已停用") % {"unit": code}, field=name
            )
        return pk

    def route(self, category, area_path: str):
        """(lead id, co ids, rule id) by the catalogue's most specific rule (as
        `catalogue.resolve_dispatch`, from memory), or None."""
        key = (category.id, area_path)
        if key not in self._routes:
            found = []
            for cat in (category.id, category.parent_id):
                if cat is None:
                    continue
                for path in ancestor_paths(area_path):
                    found.extend(self._rules.get((cat, path), ()))
            found.sort(key=lambda r: (-len(r[0]), r[1], r[2]))
            self._routes[key] = (
                (found[0][3], tuple(u.pk for u in found[0][4]), found[0][2]) if found else None
            )
        return self._routes[key]

    def due(self, limit: Limit, start: dt.datetime):
        """The engine's Due for a clock opened at `start` (cached per local day for day units)."""
        if limit.unit in ("days", "working_days"):
            key = (limit.amount, limit.unit, start.astimezone(LOCAL_TZ).date())
        else:
            key = (limit.amount, limit.unit, start)
        due = self._due.get(key)
        if due is None:
            due = Clock.open(start, limit).due(self.calendar)
            if len(self._due) > 100_000:
                self._due.clear()
            self._due[key] = due
        return due


def _state_times(row: Row, values: dict) -> None:
    status = row.status
    row.dispatched_at = parse_time(values.get("dispatched_at"), "dispatched_at") or row.opened_at
    if row.dispatched_at < row.opened_at:
        raise ServiceError("invalid_time", _("派遣时间不能早于上报时间"), "dispatched_at")
    if status == DISPATCHED:
        return
    row.closed_at = parse_time(values.get("closed_at"), "closed_at")
    if row.closed_at is None:
        raise ServiceError(EventErrorCode.REQUIRED, _("已结案的事件须给出结案时间"), "closed_at")
    row.handled_at = parse_time(values.get("handled_at"), "handled_at") or row.closed_at
    row.accepted_at = parse_time(values.get("accepted_at"), "accepted_at") or row.handled_at
    if row.accepted_at < row.dispatched_at:
        raise ServiceError("invalid_time", _("签收时间不能早于派遣时间"), "accepted_at")
    if row.handled_at < row.accepted_at:
        raise ServiceError("invalid_time", _("处置反馈时间不能早于签收时间"), "handled_at")
    if row.closed_at < row.handled_at:
        raise ServiceError("invalid_time", _("结案时间不能早于处置反馈时间"), "closed_at")
    row.result = str(values.get("result") or "").strip()
    if not row.result:
        raise ServiceError(EventErrorCode.REQUIRED, _("请填写处置结果"), field="result")
    if status == CLOSED:
        return
    satisfaction = SATISFACTIONS.get(str(values.get("satisfaction") or "").strip())
    if satisfaction is None:
        raise ServiceError(
            EventErrorCode.INVALID_SATISFACTION,
            _("请选择满意度：满意、基本满意或不满意"),
            field="satisfaction",
        )
    if satisfaction == Satisfaction.DISSATISFIED:
        raise ServiceError(
            EventErrorCode.INVALID_SATISFACTION,
            _("回访不满意的事件会重新办理，不能以“已回访”状态导入；请以“已结案”导入"),
            field="satisfaction",
        )
    row.satisfaction = satisfaction
    row.callback_at = parse_time(values.get("callback_at"), "callback_at") or row.closed_at
    if row.callback_at < row.closed_at:
        raise ServiceError("invalid_time", _("回访时间不能早于结案时间"), "callback_at")
    resolved = values.get("callback_resolved")
    if _has(resolved):
        if str(resolved).strip().lower() not in YES_NO:
            raise ServiceError("invalid", _("“问题是否解决”应为是或否"), "callback_resolved")
        row.resolved = YES_NO[str(resolved).strip().lower()]


def check_row(line: int, values: dict, ref: Reference, now: dt.datetime) -> Row:
    """The checks of intake, in intake's order, then the final state's."""
    key = str(values.get("idempotency_key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise ServiceError(
            EventErrorCode.INVALID_ANSWER, _("幂等键不能超过 100 个字符"), field="idempotency_key"
        )
    channel = str(values.get("channel") or "hotline_12345")
    if channel not in CHANNELS:
        raise ServiceError(
            EventErrorCode.INVALID_CHANNEL, _("来源渠道“%(value)s”无效") % {"value": channel}, field="channel"
        )
    category = ref.category(values.get("category"))
    answers = {k[8:]: values[k] for k in ref.answer_fields if values.get(k) not in (None, "")}
    answers = clean_answers(category, answers, 0)
    lon, lat = values.get("lon"), values.get("lat")
    if _has(lon) or _has(lat):
        try:
            lon, lat = check_point(lon, lat)
            crs = str(values.get("crs") or "wgs84")
            if crs != "wgs84":
                lon, lat = to_wgs84(lon, lat, crs)
        except CoordinateError as exc:
            raise ServiceError(exc.code, exc.message, field=exc.field) from None
    else:
        lon = lat = None
        if not _has(values.get("area_code")):
            raise ServiceError(
                EventErrorCode.MISSING_LOCATION, _("请提供事发位置（经纬度）或所在区划代码"), field="location"
            )
    for name in TEXT_FIELDS:
        if "\x00" in str(values.get(name) or ""):
            # PostgreSQL cannot store NUL in text; refused on every database, naming the field.
            raise ServiceError("invalid_character", _("含有不允许的空字符（NUL）"), field=name)
    title = str(values.get("title") or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(CaseErrorCode.INVALID_TITLE, _("标题不能为空，且不超过 200 字"), field="title")
    status_text = str(values.get("status") or REPORTED).strip()
    status = STATUSES.get(status_text.lower(), STATUSES.get(status_text))
    if status is None:
        raise ServiceError(
            "invalid_status",
            _("状态“%(value)s”无效，应为已上报、已派遣、已结案或已回访") % {"value": status_text},
            field="status",
        )
    for name in ref.state_fields:
        if name not in ALLOWED[status] and _has(values.get(name)):
            raise ServiceError(
                "not_for_status",
                _("状态为“%(status)s”的事件不能填写此项") % {"status": status_text},
                field=name,
            )
    row = Row(
        line=line,
        title=title,
        description=str(values.get("description") or ""),
        channel=channel,
        category=category,
        answers=answers,
        lon=lon,
        lat=lat,
        area_code=str(values.get("area_code") or "").strip(),
        address=str(values.get("address") or "").strip()[:200],
        reporter_name=str(values.get("reporter_name") or "").strip()[:50],
        reporter_phone=str(values.get("reporter_phone") or "").strip()[:30],
        key=key,
        opened_at=parse_time(values.get("opened_at"), "opened_at") or now,
        status=status,
    )
    if status == REPORTED:
        return row
    if category is not None and category.emergency_transfer:
        raise ServiceError(
            "emergency",
            _("紧急类事件受理后即转办 110/119/120/122，只能以“已上报”状态导入"),
            field="status",
        )
    row.lead_code = str(values.get("lead_unit") or "").strip()
    co = str(values.get("co_units") or "").replace("、", ";").replace(",", ";").replace("，", ";")
    row.co_codes = tuple(c.strip() for c in co.split(";") if c.strip())
    if row.co_codes and not row.lead_code:
        raise ServiceError(CaseErrorCode.NO_UNIT, _("请选择主办单位"), field="lead_unit")
    _state_times(row, values)
    return row


def handling_level(area) -> str:
    return area.level if area.level in HANDLING_LEVELS else HandlingLevel.VILLAGE


def local_year(moment: dt.datetime) -> int:
    return moment.astimezone(LOCAL_TZ).year


def now() -> dt.datetime:
    return timezone.now()
