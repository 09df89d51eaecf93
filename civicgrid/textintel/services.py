"""The only writers of the text layer, and the analysis the intake asks for.

* `do_train_model`: examples (a registered source or a CSV) → cross-validated metrics → the model
  fitted on all of them → a versioned file and its `TextModel` row (audited).
* `do_activate_model`: an administrator chooses the active model (audited); `do_set_threshold`.
* `analyse_message`: what the intake calls before it writes anything — the active model's top-k and
  the routing decision, plus the urgency rules. It NEVER raises: whatever goes wrong (no model,
  missing or old-format file, a bug) is logged and the intake falls back to its keyword rules.
* `do_record_case_text`: the analysis stored on the new case (inside the intake's transaction, in
  a savepoint, so a failure here loses only the analysis, never the event).
* `do_record_correction`: the suggested label and the one the dispatcher finally chose.

Who may train or choose models: `textintel.add_textmodel` / `textintel.activate_textmodel` over
every top-level area (a city administrator); `actor=None` is the operator's command line.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import path_in_scope

from . import classifier as clf
from . import reply_quality, training, urgency
from .error_codes import TextErrorCode
from .models import CaseText, Routing, TextCorrection, TextModel, UrgencyFlag, UrgencyKind

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.6
# An official reply scoring below this overall is marked weak on the case page: on the 2,816 real
# message–reply pairs the median is 0.54 and a bare acknowledgement ("留言已收悉") scores under 0.3
# (docs/hot-issues.md §4).
REPLY_WEAK = 0.4


def default_threshold() -> float:
    return float(getattr(settings, "CIVICGRID_TEXT_CONFIDENCE_THRESHOLD", DEFAULT_THRESHOLD))


def model_dir() -> Path:
    configured = getattr(settings, "CIVICGRID_TEXT_MODEL_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "textmodels"


# --- who may ------------------------------------------------------------------------------------


def can_manage_models(user, verb: str = "activate") -> bool:
    """`textintel.<verb>_textmodel` over every top-level area (models classify the whole city)."""
    if user is None:
        return True
    roots = list(Area.objects.filter(parent__isnull=True).values_list("path", flat=True)) or ["/"]
    return all(path_in_scope(user, f"textintel.{verb}_textmodel", path) for path in roots)


def check_manager(user, verb: str) -> None:
    if not can_manage_models(user, verb):
        raise NotPermitted(TextErrorCode.NOT_PERMITTED, _("管理文本分类模型需要全市范围的系统管理权限。"))


# --- training -----------------------------------------------------------------------------------


def do_train_model(
    examples: list[training.Example],
    *,
    source: str,
    actor=None,
    c: float = 1.0,
    folds: int = 5,
    terms: dict[str, list[str]] | None = None,
    profile: str = "accurate",
) -> TextModel:
    """Evaluate by cross-validation, fit on everything, write the file, record the row. The new
    model is not active until an administrator activates it."""
    check_manager(actor, "add")
    summary = training.summarise(examples, source)
    metrics = (
        training.cross_validate(examples, folds=folds, c=c, terms=terms, profile=profile)
        if folds >= 2
        else {}
    )
    model = clf.TextClassifier.fit(
        [e.title for e in examples],
        [e.body for e in examples],
        [e.label for e in examples],
        [e.weight for e in examples],
        c=c,
        terms=terms,
        summary=summary,
        profile=profile,
    )
    with transaction.atomic():
        version = (TextModel.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
        path = model_dir() / f"classifier-v{version}.cgmodel"
        checksum = model.save(path)
        row = TextModel.objects.create(
            version=version,
            file_path=str(path),
            checksum=checksum,
            format_version=clf.FORMAT_VERSION,
            source=source[:200],
            training_summary={
                **summary,
                "calibrated": model.summary.get("calibrated"),
                "profile": model.summary.get("profile"),
            },
            metrics=metrics,
            created_by=actor,
            created_at=timezone.now(),
        )
        record_change(actor=actor, action=ChangeAction.CREATE, instance=row, before=None, after=snapshot(row))
    return row


def do_activate_model(model: TextModel, *, actor) -> TextModel:
    """Make `model` the active one (the file must load); the previous one is deactivated."""
    check_manager(actor, "activate")
    try:
        clf.load(model.file_path, model.checksum)
    except clf.ModelFileError as exc:
        raise ServiceError(TextErrorCode.MODEL_FILE, exc.message, field="model") from None
    with transaction.atomic():
        for other in TextModel.objects.select_for_update().filter(is_active=True).exclude(pk=model.pk):
            before = snapshot(other)
            other.is_active = False
            other.save(update_fields=["is_active"])
            record_change(
                actor=actor, action=ChangeAction.UPDATE, instance=other, before=before, after=snapshot(other)
            )
        model = TextModel.objects.select_for_update().get(pk=model.pk)
        before = snapshot(model)
        model.is_active = True
        model.activated_at = timezone.now()
        model.save(update_fields=["is_active", "activated_at"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=model, before=before, after=snapshot(model)
        )
    return model


def do_deactivate_models(*, actor) -> int:
    """No active model: intake falls back to the keyword rules."""
    check_manager(actor, "activate")
    count = 0
    with transaction.atomic():
        for model in TextModel.objects.select_for_update().filter(is_active=True):
            before = snapshot(model)
            model.is_active = False
            model.save(update_fields=["is_active"])
            record_change(
                actor=actor, action=ChangeAction.UPDATE, instance=model, before=before, after=snapshot(model)
            )
            count += 1
    return count


def clean_threshold(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0.0 <= number <= 1.0:
        raise ServiceError(
            TextErrorCode.INVALID_THRESHOLD, _("置信度阈值应为 0 到 1 之间的数"), field="confidence_threshold"
        )
    return number


def do_set_threshold(model: TextModel, value, *, actor) -> TextModel:
    check_manager(actor, "activate")
    threshold = clean_threshold(value)
    with transaction.atomic():
        model = TextModel.objects.select_for_update().get(pk=model.pk)
        before = snapshot(model)
        model.confidence_threshold = threshold
        model.save(update_fields=["confidence_threshold"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=model, before=before, after=snapshot(model)
        )
    return model


# --- the active model, loaded once per process --------------------------------------------------


@dataclass(frozen=True)
class ActiveModel:
    version: int
    threshold: float
    classifier: clf.TextClassifier


_loaded: dict[tuple[int, str], clf.TextClassifier] = {}
_failed: dict[tuple[int, str], str] = {}
_load_lock = threading.Lock()


def active_model() -> ActiveModel | None:
    """The active model, its file read once per process per version (a file that failed to load is
    not retried in this process: re-activate or retrain). None when there is none or it fails."""
    row = (
        TextModel.objects.filter(is_active=True)
        .values_list("version", "file_path", "checksum", "confidence_threshold")
        .first()
    )
    if row is None:
        return None
    version, path, checksum, threshold = row
    key = (version, checksum)
    model = _loaded.get(key)
    if model is None:
        if key in _failed:
            return None
        with _load_lock:
            model = _loaded.get(key)
            if model is None:
                try:
                    model = clf.load(path, checksum)
                except clf.ModelFileError as exc:
                    _failed[key] = exc.code
                    logger.error("active text model v%s unusable (%s): %s", version, exc.code, exc.message)
                    return None
                _loaded.clear()  # keep only the current version in memory
                _loaded[key] = model
    return ActiveModel(version, threshold if threshold is not None else default_threshold(), model)


def forget_loaded_models() -> None:
    with _load_lock:
        _loaded.clear()
        _failed.clear()


# --- the analysis at intake ---------------------------------------------------------------------


@dataclass
class Analysis:
    """What the text layer says about one incoming message. `predictions`: [(label, confidence)]
    best first (empty: no model, or the text could not be classified → the caller's keyword rules);
    `routing`: preselected (confidence ≥ threshold) or queue (below: a dispatcher classifies)."""

    model_version: int | None = None
    threshold: float | None = None
    predictions: list[tuple[str, float]] = field(default_factory=list)
    hits: list[urgency.Hit] = field(default_factory=list)
    problem: str = ""

    @property
    def confidence(self) -> float | None:
        return self.predictions[0][1] if self.predictions else None

    @property
    def confident(self) -> bool:
        return bool(self.predictions) and self.threshold is not None and self.confidence >= self.threshold


def classify_message(title: str, body: str, k: int = clf.TOP_K) -> Analysis:
    """Top-k of the active model; raises ServiceError for empty or non-Chinese text (the API's
    "try the classifier"); an unusable model gives an Analysis without predictions."""
    training.check_message(title, body)
    analysis = Analysis()
    active = active_model()
    if active is None:
        analysis.problem = "no_model"
        return analysis
    analysis.model_version, analysis.threshold = active.version, active.threshold
    analysis.predictions = [(p.label, p.confidence) for p in active.classifier.top(title, body, k)]
    return analysis


def analyse_message(title: str, body: str, k: int = clf.TOP_K, *, classify: bool = True) -> Analysis:
    """For the intake: never raises, never writes."""
    analysis = Analysis()
    if classify:
        try:
            analysis = classify_message(title, body, k)
        except ServiceError as exc:
            analysis.problem = exc.code
        except Exception:
            logger.exception("text classification failed; intake falls back to keyword rules")
            analysis = Analysis(problem="error")
    try:
        analysis.hits = urgency.match(urgency.rule_cache.get(), title or "", body or "")
    except Exception:
        logger.exception("urgency rules failed; the message is not flagged")
    return analysis


def do_record_case_text(
    case, analysis: Analysis, *, routing: str, reporter_phone: str = "", account_id=None, now=None
) -> CaseText | None:
    """Store the analysis and the flags of a new case; the repeat-reporter check counts this
    reporter's earlier messages. Runs in a savepoint and never raises: the event matters more."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            digest = urgency.reporter_digest(reporter_phone, account_id)
            flags = [
                UrgencyFlag(
                    case=case, kind=h.kind, reason=h.reason[:300], matched=list(h.matched), created_at=now
                )
                for h in analysis.hits
            ]
            if digest:
                days, count = urgency.repeat_window()
                earlier = CaseText.objects.filter(
                    reporter_digest=digest, created_at__gte=now - dt.timedelta(days=days)
                ).count()
                if earlier >= count:
                    flags.append(
                        UrgencyFlag(
                            case=case,
                            kind=UrgencyKind.REPEAT,
                            reason=_("同一反映人 %(days)s 天内已反映 %(n)s 次，请关注是否有未解决的诉求")
                            % {"days": days, "n": earlier},
                            created_at=now,
                        )
                    )
            row = CaseText.objects.create(
                case=case,
                model_version=analysis.model_version,
                predictions=[{"label": label, "confidence": conf} for label, conf in analysis.predictions],
                confidence=analysis.confidence,
                routing=routing,
                needs_review=routing == Routing.QUEUE,
                reporter_digest=digest,
                created_at=now,
            )
            if flags:
                UrgencyFlag.objects.bulk_create(flags)
            return row
    except Exception:
        logger.exception("storing the text analysis of case %s failed; the event is kept", case.pk)
        return None


# --- corrections --------------------------------------------------------------------------------


def do_record_correction(case, *, chosen: str, actor=None, now=None) -> TextCorrection | None:
    """The dispatcher's final label for a case the text layer analysed. A row is kept only when it
    differs from the top suggestion; in every case the case leaves the classification queue. Never
    raises (a failure loses the record, not the dispatcher's action)."""
    try:
        with transaction.atomic():
            text = CaseText.objects.select_for_update().filter(case=case).first()
            if text is None:
                return None
            now = now or timezone.now()
            if text.needs_review:
                text.needs_review = False
                text.reviewed_at = now
                text.save(update_fields=["needs_review", "reviewed_at"])
            suggested = text.predictions[0]["label"] if text.predictions else ""
            if not chosen or chosen == suggested:
                return None
            return TextCorrection.objects.create(
                case=case,
                suggested=suggested,
                chosen=chosen,
                model_version=text.model_version,
                actor=actor,
                created_at=now,
            )
    except Exception:
        logger.exception(
            "recording the classification correction of case %s failed", getattr(case, "pk", case)
        )
        return None


# --- reads, scoped through the case ------------------------------------------------------------


def cases_visible_to(user):
    from civicgrid.cases.models import Case

    return Case.objects.restrict(user, "cases.view_case")


def case_text_context(case, *, reply: str = "", replied_at=None) -> dict:
    """For the case page (the caller has already checked the user may view the case): the urgency
    flags with their reasons, the stored analysis and — when the case has an official reply (an
    event's handling result) — the reply's quality against the message (reply_quality), so the
    verifier sees an answer that says nothing before closing. Two queries; {} when there is nothing."""
    flags = list(UrgencyFlag.objects.filter(case=case))
    analysis = CaseText.objects.filter(case=case).first()
    context = {"flags": flags, "analysis": analysis} if flags or analysis else {}
    if (reply or "").strip():
        score = reply_quality.score_reply(case.title, case.description, case.opened_at, reply, replied_at)
        context["reply"] = {
            "overall": round(score.overall * 100),
            "relevance": round(score.relevance * 100),
            "completeness": round(score.completeness * 100),
            "timeliness": round(score.timeliness * 100),
            "reasons": [str(reply_quality.REASON_TEXT.get(code, code)) for code in score.reasons],
            "weak": score.overall < REPLY_WEAK,
        }
    return context
