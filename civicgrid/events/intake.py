"""The intake pipeline: one function behind every way an event comes in — the web form, a grid
worker's report, the API (single and batch) and the historical import.

    validate → coordinates (declared CRS; swapped or out of the jurisdiction → field error, never
    stored) → locate to grid and area chain (no location: only with an explicit area code) →
    suggested categories when none is given (the active text model, else the keyword rules) →
    urgency flags → likely duplicates → open the case (status "reported") and store the text
    analysis → an emergency category is transferred to 110/119/120/122 at once.

The text layer (civicgrid.textintel) is advisory: nothing it does can refuse or fail a submission.

Everything is checked before anything is written, and the writes share one transaction: a refusal
leaves no row behind. A repeated submission (same idempotency key) returns the original event.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, fields

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.coords import CoordinateError
from civicgrid.areas.locate import LocateStatus, locate
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.choices import Priority as CasePriority
from civicgrid.cases.models import Case
from civicgrid.cases.services import can_act, do_apply_action, do_open_case
from civicgrid.core.errors import ServiceError
from civicgrid.core.prepared import Prepared, instance_from
from civicgrid.textintel.models import Routing
from civicgrid.textintel.services import analyse_message, do_record_case_text

from . import text_training
from .answers import clean_answer
from .classify import Classifier
from .duplicates import find_possible_duplicates
from .error_codes import EventErrorCode
from .models import Category, Channel, EventDetails
from .models.taxonomy import Priority as CategoryPriority
from .models.taxonomy import QuestionType
from .photo_files import photo_files_kept_only_on_success

logger = logging.getLogger(__name__)

# --- photos ---------------------------------------------------------------------------------------

DEFAULT_MAX_PHOTO_MB = 10


def max_photo_bytes() -> int:
    return int(float(getattr(settings, "CIVICGRID_MAX_PHOTO_MB", DEFAULT_MAX_PHOTO_MB)) * 1024 * 1024)


def sniff_image(head: bytes) -> str | None:
    """The image type from the file's first bytes (magic numbers), or None: the name and the
    client's Content-Type header are not trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class CheckedPhoto:
    file: object
    content_type: str
    size: int


def check_photo(upload, field_name: str = "photos") -> CheckedPhoto:
    """Refuse an oversized or non-image upload with a field error; return its sniffed type."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    limit = max_photo_bytes()
    if size > limit:
        raise ServiceError(
            EventErrorCode.PHOTO_TOO_LARGE,
            _("照片不能超过 %(mb)s MB（收到 %(got).1f MB）")
            % {"mb": limit // (1024 * 1024), "got": size / 1048576},
            field=field_name,
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_image(head)
    if content_type is None:
        raise ServiceError(
            EventErrorCode.NOT_AN_IMAGE, _("只能上传 JPEG、PNG 或 WebP 格式的照片"), field=field_name
        )
    return CheckedPhoto(upload, content_type, size)


# --- category and answers -------------------------------------------------------------------------


def _category_query(code):
    # The category with whether its parent is active and whether active children exist (a 大类
    # with 小类 is not a valid choice): one query.
    return (
        Category.objects.filter(code=code)
        .annotate(
            _parent_active=F("parent__is_active"),
            _has_active_children=Exists(Category.objects.filter(parent=OuterRef("pk"), is_active=True)),
        )
        .order_by()
    )


# Intake resolves a category on every submission: compiled once (core.prepared).
_CATEGORY = Prepared(_category_query, code="\x00sentinel-category")


def _category_by_code(code: str) -> Category | None:
    found = next(iter(_CATEGORY.instances(code=code)), None)
    if found is not None and (
        (found.parent_id is not None and not found._parent_active) or found._has_active_children
    ):
        return None
    return found


def resolve_category(value) -> Category | None:
    """A Category, its code or its id → an active 小类 (or a 大类 without 小类); None for none
    given; "unknown_category" on field `category` otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        category = value
        usable = (
            category.is_active
            and (category.parent_id is None or category.parent.is_active)
            and not category.children.filter(is_active=True).exists()
        )
    else:
        category = _category_by_code(str(value).strip())
        usable = category is not None and category.is_active
    if not usable:
        raise ServiceError(
            EventErrorCode.UNKNOWN_CATEGORY,
            _("事件分类“%(code)s”不存在或已停用，请选择一个有效的小类")
            % {"code": getattr(value, "code", value)},
            field="category",
        )
    return category


def clean_answers(category: Category | None, answers, photo_count: int) -> dict:
    """Check the answers against the category's typed questions: each error names the question,
    e.g. "answers.casualties". A required photo question is satisfied by an attached photo."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise ServiceError(EventErrorCode.INVALID_ANSWER, _("分类必填信息必须是对象"), field="answers")
    if category is None:
        return dict(answers)
    cleaned = {}
    for question in category.required_fields or ():
        key, qtype, label = question["key"], question["type"], question["label"]
        where = f"answers.{key}"
        value = answers.get(key)
        if qtype == QuestionType.PHOTO:
            if question.get("required") and photo_count == 0:
                raise ServiceError(
                    EventErrorCode.REQUIRED, _("请上传“%(label)s”") % {"label": label}, field="photos"
                )
            continue
        if value in (None, ""):
            if question.get("required"):
                raise ServiceError(
                    EventErrorCode.REQUIRED, _("请填写“%(label)s”") % {"label": label}, field=where
                )
            continue
        cleaned[key] = clean_answer(question, value, where)
    return cleaned


# --- location -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    area: Area
    grid: Grid | None
    lon: float | None
    lat: float | None


def _has(value) -> bool:
    return value not in (None, "")


def resolve_place(lon, lat, crs: str = "wgs84", area_code: str | None = None) -> Place:
    """Coordinates → grid and area (WGS-84 stored); no coordinates → the explicit area code; else a
    field error on "location". Bad, swapped or far-away coordinates are refused, never stored."""
    if _has(lon) or _has(lat):
        try:
            found = locate(lon, lat, crs or "wgs84")
        except CoordinateError as exc:
            raise ServiceError(exc.code, exc.message, field=exc.field) from None
        if found.status == LocateStatus.GRID:
            village = _from_record(Area, found.area)
            grid = _from_record(Grid, found.grid)
            grid.village = village
            return Place(village, grid, found.lon, found.lat)
        if found.status == LocateStatus.AREA:
            return Place(_from_record(Area, found.area), None, found.lon, found.lat)
        if not _has(area_code):
            raise ServiceError(EventErrorCode.UNLOCATED, found.reason, field="location")
        return Place(_area_by_code(area_code), None, found.lon, found.lat)
    if not _has(area_code):
        raise ServiceError(
            EventErrorCode.MISSING_LOCATION, _("请提供事发位置（经纬度）或所在区划代码"), field="location"
        )
    return Place(_area_by_code(area_code), None, None, None)


def _from_record(model, record):
    # The locate index's record (areas.spatial_index: AreaRecord, GridRecord) already holds what
    # intake needs of the area or grid, under the models' field names: no query; other fields load
    # on first use.
    return instance_from(model, **{f.name: getattr(record, f.name) for f in fields(record)})


def _area_by_code(code) -> Area:
    area = Area.objects.filter(code=str(code).strip(), is_active=True).first()
    if area is None:
        raise ServiceError(
            EventErrorCode.UNKNOWN_AREA, _("区划代码“%(code)s”不存在") % {"code": code}, field="area_code"
        )
    return area


# --- the pipeline ---------------------------------------------------------------------------------

_PRIORITY = {
    CategoryPriority.NORMAL: CasePriority.LOW,
    CategoryPriority.URGENT: CasePriority.HIGH,
    CategoryPriority.CRITICAL: CasePriority.URGENT,
}


@dataclass
class IntakeResult:
    """The event (a `cases.Case`), whether this call created it (False: a repeated submission
    returned the original) and the likely duplicates found at intake."""

    case: Case
    created: bool
    possible_duplicates: list[Case] = field(default_factory=list)


# Channels where the reporting account is the citizen's own (the repeat-reporter check may use the
# account when no phone is given); a grid worker or the hotline reports for many people.
_OWN_ACCOUNT_CHANNELS = frozenset({Channel.APP, Channel.WEB})


def _suggest(category, title: str, description: str, classifier: Classifier | None):
    """The suggested categories (for `EventDetails.suggested_categories`), the text analysis and
    the routing. With an active model whose labels are categories, its top-k with confidence:
    the first is `preselected` when confident (≥ the model's threshold), else the event goes to
    the classification queue. No model, or no usable prediction: the keyword rules. A category
    given by the reporter needs no suggestion. The text layer never raises (analyse_message)."""
    analysis = analyse_message(title, description, classify=category is None)
    if category is not None:
        return [], analysis, Routing.GIVEN
    found = []
    if analysis.predictions:
        try:
            found = text_training.suggestions_from_model(analysis.predictions)
        except Exception:  # the model must never fail the intake
            logger.exception("mapping model labels to categories failed")
    if found:
        preselect = analysis.confident and found[0][0].code == analysis.predictions[0][0]
        suggested = [
            {
                "id": c.pk,
                "code": c.code,
                "name": c.name,
                "score": conf,
                "confidence": conf,
                "source": "model",
                "model_version": analysis.model_version,
                "preselected": preselect and i == 0,
            }
            for i, (c, conf) in enumerate(found)
        ]
        return suggested, analysis, Routing.PRESELECTED if preselect else Routing.QUEUE
    rules = (classifier or Classifier.from_database()).suggest(title, description)
    # The keyword rules' suggestions keep their original shape (no "source" key: the bulk import
    # writes the same); the model's carry source "model".
    suggested = [
        {"id": s.category.pk, "code": s.category.code, "name": s.category.name, "score": s.score}
        for s in rules
    ]
    return suggested, analysis, Routing.RULES


# Most submissions carry a fresh idempotency key: the probe is compiled once (core.prepared).
_KEY_TAKEN = Prepared(
    lambda key: EventDetails.objects.filter(idempotency_key=key).values_list("pk")[:1],
    key="\x00sentinel-key",
)


def _existing(key, actor) -> IntakeResult | None:
    # A cheap probe first: nearly every submission carries a fresh key.
    if not _KEY_TAKEN.rows(key=key):
        return None
    details = EventDetails.objects.filter(idempotency_key=key).select_related("case").first()
    if details is None:
        return None
    if actor is not None and not can_act(actor, "cases.view_case", details.case):
        # Another reporter's key: say the key is taken without revealing their event.
        raise ServiceError(
            EventErrorCode.IDEMPOTENCY_KEY_TAKEN, _("该幂等键已被使用"), field="idempotency_key"
        )
    dups = list(Case.objects.filter(pk__in=details.possible_duplicates))
    return IntakeResult(details.case, False, dups)


def report_event(
    *,
    actor,
    title: str,
    channel: str,
    description: str = "",
    category=None,
    lon=None,
    lat=None,
    crs: str = "wgs84",
    area_code: str | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    answers=None,
    photos=(),
    idempotency_key: str | None = None,
    opened_at: dt.datetime | None = None,
    classifier: Classifier | None = None,
) -> IntakeResult:
    """Run the whole intake pipeline for one event (see the module docstring). `actor` needs
    `cases.report_case` over the place (None: a channel that authenticated the reporter itself, or
    the historical import). Raises ServiceError naming the field; nothing is written then."""
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 100:
            raise ServiceError(
                EventErrorCode.INVALID_ANSWER, _("幂等键不能超过 100 个字符"), field="idempotency_key"
            )
        found = _existing(key, actor)
        if found is not None:
            return found
    if channel not in Channel.values:
        raise ServiceError(
            EventErrorCode.INVALID_CHANNEL, _("来源渠道“%(value)s”无效") % {"value": channel}, field="channel"
        )
    category = resolve_category(category)
    checked = [check_photo(p, f"photos[{i}]") for i, p in enumerate(photos or ())]
    answers = clean_answers(category, answers, len(checked))
    place = resolve_place(lon, lat, crs, area_code)
    suggested, analysis, routing = _suggest(category, title or "", description or "", classifier)
    at = opened_at or timezone.now()
    duplicates = find_possible_duplicates(
        category, place.lon, place.lat, at, title=title, description=description
    )
    details = {
        "channel": channel,
        "category": category,
        "suggested_categories": suggested,
        "possible_duplicates": [c.pk for c in duplicates],
        "reporter_name": (reporter_name or "").strip()[:50],
        "reporter_phone": (reporter_phone or "").strip()[:30],
        "answers": answers,
        "idempotency_key": key,
        "address": (address or "").strip()[:200],
    }
    try:
        with photo_files_kept_only_on_success(), transaction.atomic():
            case = do_open_case(
                "event",
                actor=actor,
                title=title,
                description=description or "",
                area=place.area,
                grid=place.grid,
                lon=place.lon,
                lat=place.lat,
                priority=_PRIORITY.get(category.priority) if category else None,
                opened_at=opened_at,
                details=details,
                photos=checked,
            )
            do_record_case_text(
                case,
                analysis,
                routing=routing,
                reporter_phone=reporter_phone,
                account_id=getattr(actor, "pk", None) if channel in _OWN_ACCOUNT_CHANNELS else None,
                now=case.opened_at,
            )
            if category is not None and category.emergency_transfer:
                # Emergencies are transferred at once by the system, never left in a queue.
                case = do_apply_action(
                    case,
                    "transfer",
                    actor=None,
                    expected_version=case.version,
                    note=_("紧急事件，已转 %(target)s")
                    % {"target": category.get_emergency_transfer_display()},
                    target=category.emergency_transfer,
                )
    except IntegrityError:
        # Two submissions with the same key at once: the loser returns the winner's event.
        if key is not None:
            found = _existing(key, actor)
            if found is not None:
                return found
        raise
    return IntakeResult(case, True, duplicates)
