"""The only writers of assessment schemes and exclusions.

Each `do_<verb>_<noun>` opens a transaction, checks the actor's grant, validates, saves and writes the
audit row. Bad input raises `ServiceError(code, Chinese message, field=...)`; nothing is half-written.
`actor=None` is the system (a management command run by the operator) and is trusted.

Who may write:
* a scheme is the whole city's rule book: `assessment.<verb>_assessmentscheme` over every top-level
  area (an administrator holding the city);
* an exclusion is scoped by its case: `assessment.add_exclusion` over the case to ask,
  `assessment.approve_exclusion` over it to decide, and nobody decides their own request.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import path_in_scope
from civicgrid.events.models import Channel

from .error_codes import AssessmentErrorCode as E
from .models import AssessmentScheme, Exclusion, ExclusionReason, ExclusionStatus, ResponseSource

WEIGHT_FIELDS = (
    "satisfied_weight",
    "basically_weight",
    "dissatisfied_weight",
    "resolved_weight",
    "unresolved_weight",
)
SHARE_FIELDS = ("response_share", "resolution_share", "satisfaction_share")


# --- checks ---------------------------------------------------------------------------------------


def check_scheme_writer(actor, verb: str) -> None:
    """Schemes are city-wide: the actor needs `assessment.<verb>_assessmentscheme` over every
    top-level area. `actor=None` (the operator's command) is trusted."""
    if actor is None:
        return
    action = f"assessment.{verb}_assessmentscheme"
    roots = list(Area.objects.filter(parent__isnull=True).values_list("path", flat=True)) or ["/"]
    if not all(path_in_scope(actor, action, path) for path in roots):
        raise NotPermitted(E.NOT_PERMITTED, _("修改考核方案需要全市范围的考核方案管理权限。"))


def _decimal(value, field: str, *, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite() or not (low <= number <= high):
        raise ServiceError(
            E.INVALID_WEIGHT,
            _("请填写 %(low)s 到 %(high)s 之间的数值。") % {"low": low, "high": high},
            field=field,
        )
    return number


def clean_formula(values: dict) -> dict:
    """Validate the formula fields present in `values` and return them normalised."""
    clean = {}
    for name in WEIGHT_FIELDS:
        if name in values:
            clean[name] = _decimal(values[name], name, low=Decimal(0), high=Decimal(1))
    for name in SHARE_FIELDS:
        if name in values:
            clean[name] = _decimal(values[name], name, low=Decimal(0), high=Decimal(100))
    if "channels" in values:
        channels = list(dict.fromkeys(values["channels"] or []))
        bad = [c for c in channels if c not in Channel.values]
        if bad:
            raise ServiceError(
                E.INVALID_CHANNEL,
                _("未知的来源渠道：%(codes)s") % {"codes": "、".join(map(str, bad))},
                field="channels",
            )
        clean["channels"] = channels
    if "excluded_reasons" in values:
        reasons = list(dict.fromkeys(values["excluded_reasons"] or []))
        bad = [r for r in reasons if r not in ExclusionReason.values]
        if bad:
            raise ServiceError(
                E.INVALID_REASON,
                _("未知的剔除理由：%(codes)s") % {"codes": "、".join(map(str, bad))},
                field="excluded_reasons",
            )
        clean["excluded_reasons"] = reasons
    if "response_source" in values:
        if values["response_source"] not in ResponseSource.values:
            raise ServiceError(E.INVALID, _("未知的响应判定方式。"), field="response_source")
        clean["response_source"] = values["response_source"]
    if "min_sample" in values:
        try:
            clean["min_sample"] = int(values["min_sample"])
        except (TypeError, ValueError):
            clean["min_sample"] = -1
        if clean["min_sample"] < 0:
            raise ServiceError(E.INVALID, _("最少件数应为非负整数。"), field="min_sample")
    return clean


def _check_shares(scheme: AssessmentScheme) -> None:
    if sum(getattr(scheme, name) for name in SHARE_FIELDS) <= 0:
        raise ServiceError(E.INVALID_WEIGHT, _("三率权重之和必须大于 0。"), field="response_share")


# --- schemes --------------------------------------------------------------------------------------


@transaction.atomic
def do_create_scheme(
    *, actor, code: str, name: str, effective_from: dt.date, is_active: bool = True, **formula
) -> AssessmentScheme:
    """A new scheme, version 1 of `code`, or — when `code` exists — its next version, starting
    from the latest version's formula with `formula` applied (a revision)."""
    check_scheme_writer(actor, "add")
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise ServiceError(E.INVALID, _("请填写方案代码。"), field="code")
    if not name:
        raise ServiceError(E.INVALID, _("请填写方案名称。"), field="name")
    if not isinstance(effective_from, dt.date):
        raise ServiceError(E.INVALID, _("请填写生效日期。"), field="effective_from")
    clean = clean_formula(formula)
    # Lock the code's versions so two revisions do not both become version n + 1.
    previous = list(AssessmentScheme.objects.select_for_update().filter(code=code).order_by("-version")[:1])
    scheme = AssessmentScheme(code=code, name=name, effective_from=effective_from, is_active=is_active)
    if previous:
        for field in AssessmentScheme.FORMULA_FIELDS:
            setattr(scheme, field, getattr(previous[0], field))
        scheme.version = previous[0].version + 1
    for field, value in clean.items():
        setattr(scheme, field, value)
    _check_shares(scheme)
    scheme.created_by = actor
    scheme.created_at = timezone.now()
    scheme.save()
    record_change(
        actor=actor, action=ChangeAction.CREATE, instance=scheme, before=None, after=snapshot(scheme)
    )
    return scheme


@transaction.atomic
def do_update_scheme(scheme: AssessmentScheme, *, actor, **changes) -> AssessmentScheme:
    """Rename, activate or deactivate a version. The formula of a saved version never changes (the
    figures computed under it must stay reproducible): a formula change is a new version."""
    check_scheme_writer(actor, "change")
    scheme = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    formula = sorted(set(changes) & set(AssessmentScheme.FORMULA_FIELDS))
    if formula:
        raise ServiceError(E.INVALID, _("已保存版本的计算参数不可修改，请新建版本。"), field=formula[0])
    before = snapshot(scheme)
    fields = []
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise ServiceError(E.INVALID, _("请填写方案名称。"), field="name")
        scheme.name = name
        fields.append("name")
    if "is_active" in changes:
        scheme.is_active = bool(changes["is_active"])
        fields.append("is_active")
    if "effective_from" in changes:
        if not isinstance(changes["effective_from"], dt.date):
            raise ServiceError(E.INVALID, _("请填写生效日期。"), field="effective_from")
        scheme.effective_from = changes["effective_from"]
        fields.append("effective_from")
    if fields:
        scheme.save(update_fields=fields)
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=scheme, before=before, after=snapshot(scheme)
        )
    return scheme


def scheme_for(day: dt.date, code: str | None = None) -> AssessmentScheme:
    """The active scheme (of `code`, or of any code) with the latest effective date on or before
    `day`; the highest version wins a tie."""
    qs = AssessmentScheme.objects.filter(is_active=True, effective_from__lte=day)
    if code:
        qs = qs.filter(code=code)
    scheme = qs.order_by("-effective_from", "-version", "-id").first()
    if scheme is None:
        raise ServiceError(E.NO_SCHEME, _("该期间没有生效的考核方案。"), field="scheme")
    return scheme


# --- exclusions -----------------------------------------------------------------------------------


@transaction.atomic
def do_request_exclusion(case: Case | int, *, actor, reason: str, note: str = "") -> Exclusion:
    """Ask to leave an event out of the assessment. Needs `assessment.add_exclusion` over the case;
    a case has at most one exclusion (a rejected one may be asked again, which reopens it)."""
    case_id = case.pk if isinstance(case, Case) else case
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or (
        actor is not None and not path_in_scope(actor, "assessment.add_exclusion", case.path)
    ):
        raise NotPermitted(E.NOT_PERMITTED, _("对象不存在。"))
    if case.kind != "event":
        raise ServiceError(E.NOT_AN_EVENT, _("只有事件参与考核。"), field="case")
    if reason not in ExclusionReason.values:
        raise ServiceError(E.INVALID_REASON, _("请选择剔除理由。"), field="reason")
    note = (note or "").strip()
    if not note:
        raise ServiceError(E.INVALID, _("请说明剔除依据。"), field="note")
    now = timezone.now()
    existing = Exclusion.objects.select_for_update().filter(case=case).first()
    if existing is not None and existing.status != ExclusionStatus.REJECTED:
        raise ServiceError(E.ALREADY_EXCLUDED, _("该案件已有剔除申请。"), field="case")
    if existing is None:
        exclusion = Exclusion.objects.create(
            case=case, reason=reason, note=note, requested_by=actor, requested_at=now
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=exclusion,
            before=None,
            after=snapshot(exclusion),
        )
        return exclusion
    before = snapshot(existing)
    existing.reason, existing.note, existing.status = reason, note, ExclusionStatus.PENDING
    existing.requested_by, existing.requested_at = actor, now
    existing.approved_by, existing.decided_at, existing.decision_note = None, None, ""
    existing.save(
        update_fields=[
            "reason",
            "note",
            "status",
            "requested_by",
            "requested_at",
            "approved_by",
            "decided_at",
            "decision_note",
        ]
    )
    record_change(
        actor=actor, action=ChangeAction.UPDATE, instance=existing, before=before, after=snapshot(existing)
    )
    return existing


@transaction.atomic
def do_decide_exclusion(exclusion: Exclusion | int, *, actor, approve: bool, note: str = "") -> Exclusion:
    """Approve or reject a pending exclusion. Needs `assessment.approve_exclusion` over the case;
    the requester cannot decide their own request (four eyes)."""
    pk = exclusion.pk if isinstance(exclusion, Exclusion) else exclusion
    exclusion = Exclusion.objects.select_for_update().select_related("case").filter(pk=pk).first()
    if exclusion is None or (
        actor is not None and not path_in_scope(actor, "assessment.approve_exclusion", exclusion.case.path)
    ):
        raise NotPermitted(E.NOT_PERMITTED, _("对象不存在。"))
    if exclusion.status != ExclusionStatus.PENDING:
        raise ServiceError(E.NOT_PENDING, _("该剔除申请已审批。"), field="status")
    if actor is not None and exclusion.requested_by_id == actor.pk:
        raise ServiceError(E.SELF_APPROVAL, _("不能审批本人提出的剔除申请。"), field="approve")
    before = snapshot(exclusion)
    exclusion.status = ExclusionStatus.APPROVED if approve else ExclusionStatus.REJECTED
    exclusion.approved_by = actor
    exclusion.decided_at = timezone.now()
    exclusion.decision_note = (note or "").strip()
    exclusion.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    record_change(
        actor=actor, action=ChangeAction.UPDATE, instance=exclusion, before=before, after=snapshot(exclusion)
    )
    return exclusion
