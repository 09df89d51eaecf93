"""Risk grading (风险等级) of disputes under the configurable scheme (`RiskScheme`).

A grade is a colour of the active scheme. Rules give points; the highest level whose `min_score`
the total reaches is the computed grade. The rules (GLOSSARY, 民转刑 prevention):

* threat_words: threats of violence or self-harm in the title, description or session records
  (the scheme's words plus the text layer's violence / self-harm urgency rules);
* repeat_parties: a party (same ID number or credit code, compared by digest) appears on at least
  `repeat_threshold` other disputes — repeated police calls (警调对接) on the same people;
* overdue: a clock of the dispute has run out;
* failed: mediation failed;
* high_risk_type: 婚姻家庭, 邻里, 债务, 劳资, 土地 (the scheme's list);
* group: `group_size` or more people (群体性纠纷).

Automatic grading only raises a grade (`regrade`); lowering it is a person's decision with a
reason (`services.do_grade_risk`). A red grade needs a leader in charge (包案领导). Every change is
a timeline entry ("risk_changed", data from / to / reasons).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.cases import timeline
from civicgrid.cases.models import Case, CaseDeadline, CaseParty
from civicgrid.core.errors import ServiceError

from .choices import HIGH_RISK_TYPES
from .error_codes import DisputeErrorCode
from .models import DisputeDetails, MediationSession, RiskScheme

TOP = "red"
RULES = {
    "threat_words": gettext_lazy("出现暴力或极端言行"),
    "repeat_parties": gettext_lazy("同一当事人多次发生纠纷或报警"),
    "overdue": gettext_lazy("纠纷超期未化解"),
    "failed": gettext_lazy("调解不成"),
    "high_risk_type": gettext_lazy("易引发民转刑的纠纷类型"),
    "group": gettext_lazy("群体性纠纷"),
}
DEFAULT_WEIGHTS = {
    "threat_words": 6,
    "repeat_parties": 3,
    "overdue": 2,
    "failed": 3,
    "high_risk_type": 2,
    "group": 3,
}
DEFAULT_THREAT_WORDS = [
    "威胁",
    "砍",
    "杀",
    "同归于尽",
    "跳楼",
    "报复",
    "弄死",
    "拼命",
    "炸",
    "放火",
    "喝农药",
]
THREE_COLOURS = [
    {"code": "green", "label": "绿", "min_score": 0},
    {"code": "yellow", "label": "黄", "min_score": 3},
    {"code": "red", "label": "红", "min_score": 6},
]
FOUR_COLOURS = [
    {"code": "blue", "label": "蓝", "min_score": 0},
    {"code": "yellow", "label": "黄", "min_score": 2},
    {"code": "orange", "label": "橙", "min_score": 4},
    {"code": "red", "label": "红", "min_score": 6},
]
DEFAULT_SCHEME = {
    "name": "三色预警（默认）",
    "levels": THREE_COLOURS,
    "weights": DEFAULT_WEIGHTS,
    "threat_words": DEFAULT_THREAT_WORDS,
    "high_risk_types": list(HIGH_RISK_TYPES),
    "group_size": 5,
    "repeat_threshold": 2,
}
# The text layer's urgency rules that mean a threat (civicgrid.textintel.urgency).
TEXTINTEL_KINDS = ("violence", "self_harm")
CSS = {"red": "red", "orange": "orange", "yellow": "yellow", "green": "green", "blue": "blue"}


@dataclass(frozen=True)
class Grade:
    code: str
    label: str
    rank: int
    score: int
    reasons: list


def _invalid(message, field="levels"):
    return ServiceError(DisputeErrorCode.INVALID_SCHEME, message, field=field)


def clean_scheme(levels, weights, threat_words=(), high_risk_types=()) -> tuple[list, dict, list, list]:
    """A scheme's data checked: 3 or 4 levels, codes unique, scores rising from 0, the top "red";
    weights non-negative integers for known rules; words and types lists of strings."""
    if not isinstance(levels, list) or len(levels) not in (3, 4):
        raise _invalid(_("风险等级应为三色或四色"))
    cleaned, codes, last = [], set(), -1
    for i, level in enumerate(levels):
        if not isinstance(level, dict):
            raise _invalid(_("第 %(n)s 个等级格式不正确") % {"n": i + 1})
        code, label, score = (
            str(level.get("code", "")).strip(),
            str(level.get("label", "")).strip(),
            level.get("min_score"),
        )
        if not code or not label or code in codes:
            raise _invalid(_("第 %(n)s 个等级缺少代码或名称，或代码重复") % {"n": i + 1})
        if isinstance(score, bool) or not isinstance(score, int) or score < 0 or score <= last:
            raise _invalid(_("各等级的起始分值应为递增的非负整数（第 %(n)s 个）") % {"n": i + 1})
        codes.add(code)
        last = score
        cleaned.append({"code": code, "label": label, "min_score": score})
    if cleaned[0]["min_score"] != 0:
        raise _invalid(_("最低等级的起始分值应为 0"))
    if cleaned[-1]["code"] != TOP:
        raise _invalid(_("最高等级的代码应为 red（红色）"))
    if not isinstance(weights, dict) or set(weights) - set(RULES):
        raise _invalid(_("规则分值只能包含：%(rules)s") % {"rules": "、".join(RULES)}, field="weights")
    for key, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid(_("规则“%(rule)s”的分值应为非负整数") % {"rule": key}, field="weights")
    words = [str(w).strip() for w in threat_words or () if str(w).strip()]
    types = [str(t) for t in high_risk_types or ()]
    return cleaned, {**dict.fromkeys(RULES, 0), **weights}, words, types


def active_scheme() -> RiskScheme:
    """The active scheme; an unsaved default (three colours) when none is active."""
    scheme = RiskScheme.objects.filter(is_active=True).first()
    return scheme if scheme is not None else RiskScheme(**DEFAULT_SCHEME, is_active=True)


def levels_of(scheme: RiskScheme) -> list[dict]:
    return list(scheme.levels or THREE_COLOURS)


def level_info(scheme: RiskScheme, code: str) -> tuple[str, int]:
    """(label, rank) of `code` in `scheme`; a code the scheme lacks (the scheme changed) keeps its
    code as label and rank 0."""
    for rank, level in enumerate(levels_of(scheme), start=1):
        if level["code"] == code:
            return level["label"], rank
    return code, 0


def _threat_hits(scheme: RiskScheme, text: str) -> list[str]:
    from civicgrid.textintel import urgency

    normal = urgency.normalise(text)
    found = [w for w in scheme.threat_words or () if urgency.normalise(w) and urgency.normalise(w) in normal]
    try:
        rules = [r for r in urgency.rule_cache.get() if r.kind in TEXTINTEL_KINDS]
    except Exception:
        rules = []
    for hit in urgency.match(rules, "", text):
        found += [w for w in hit.matched if w not in found]
    return found


def repeat_cases(case: Case) -> list[int]:
    """Other disputes on which one of this dispute's parties (by ID digest) also appears."""
    digests = list(case.parties.exclude(id_digest="").values_list("id_digest", flat=True))
    if not digests:
        return []
    return list(
        CaseParty.objects.filter(id_digest__in=digests, case__kind="dispute")
        .exclude(case_id=case.pk)
        .order_by()
        .values_list("case_id", flat=True)
        .distinct()
    )


def evaluate(
    case: Case, details: DisputeDetails, *, scheme: RiskScheme | None = None, now=None, extra_text=""
) -> Grade:
    """The grade the rules give the dispute now, with the reasons that fired."""
    scheme = scheme or active_scheme()
    now = now or timezone.now()
    weights = {**DEFAULT_WEIGHTS, **(scheme.weights or {})}
    reasons = []

    def fire(rule: str, detail: str = ""):
        points = int(weights.get(rule, 0))
        if points:
            reasons.append({"rule": rule, "label": str(RULES[rule]), "points": points, "detail": detail})

    records = " ".join(MediationSession.objects.filter(case=case).values_list("record", flat=True))
    words = _threat_hits(scheme, f"{case.title}\n{case.description}\n{records}\n{extra_text}")
    if words:
        fire("threat_words", "、".join(words[:5]))
    repeats = repeat_cases(case)
    if len(repeats) >= max(scheme.repeat_threshold, 1):
        fire("repeat_parties", str(len(repeats)))
    overdue = (case.due_at is not None and now >= case.due_at) or CaseDeadline.objects.filter(
        case=case, state="missed"
    ).exists()
    if overdue:
        fire("overdue")
    if details.failed_at is not None:
        fire("failed")
    if details.dispute_type in (scheme.high_risk_types or ()):
        fire("high_risk_type", details.get_dispute_type_display())
    if details.people_count >= max(scheme.group_size, 1):
        fire("group", str(details.people_count))
    score = sum(r["points"] for r in reasons)
    levels = levels_of(scheme)
    chosen, rank = levels[0], 1
    for i, level in enumerate(levels, start=1):
        if score >= level["min_score"]:
            chosen, rank = level, i
    return Grade(chosen["code"], chosen["label"], rank, score, reasons)


def set_grade(
    case: Case,
    details: DisputeDetails,
    code: str,
    rank: int,
    reasons: list,
    *,
    actor,
    now,
    note="",
    manual=False,
):
    """Store a new grade and write the timeline entry (inside the caller's transaction). The
    caller saves `details`."""
    old = details.risk_level
    details.risk_level, details.risk_rank, details.risk_reasons = code, rank, reasons
    timeline.record(
        case,
        actor,
        now,
        "risk_changed",
        note=note,
        data={"from": old, "to": code, "reasons": [r.get("label", "") for r in reasons], "manual": manual},
    )


def regrade(case: Case, details: DisputeDetails, *, actor, now, extra_text="") -> bool:
    """Raise the grade when the rules now give a higher one (never lower it). True when changed."""
    scheme = active_scheme()
    grade = evaluate(case, details, scheme=scheme, now=now, extra_text=extra_text)
    _label, current_rank = level_info(scheme, details.risk_level)
    if details.risk_level and grade.rank <= current_rank:
        if grade.rank == current_rank and grade.reasons != details.risk_reasons and not details.risk_reasons:
            details.risk_reasons = grade.reasons
        return False
    set_grade(case, details, grade.code, grade.rank, grade.reasons, actor=actor, now=now)
    return True


def is_red(details: DisputeDetails) -> bool:
    return details.risk_level == TOP


# --- editing the scheme (administrators, city-wide) ---------------------------------------------


def can_manage_schemes(user, verb: str = "change") -> bool:
    """`disputes.<verb>_riskscheme` over every top-level area: the scheme grades the whole city.
    Reading ("view") needs the permission somewhere: every dispute worker sees how grades are made."""
    from civicgrid.areas.models import Area
    from civicgrid.core.scope import ALL, path_in_scope, scope_paths

    if user is None:
        return True
    if verb == "view":
        paths = scope_paths(user, "disputes.view_riskscheme")
        return paths is ALL or bool(paths)
    roots = list(Area.objects.filter(parent__isnull=True).values_list("path", flat=True)) or ["/"]
    return all(path_in_scope(user, f"disputes.{verb}_riskscheme", path) for path in roots)


def _require_manager(user, verb: str) -> None:
    from civicgrid.core.errors import NotPermitted

    if not can_manage_schemes(user, verb):
        raise NotPermitted(DisputeErrorCode.INVALID_SCHEME, _("修改风险等级方案需要全市范围的管理权限"))


def do_update_risk_scheme(
    scheme: RiskScheme,
    *,
    actor,
    levels,
    weights,
    threat_words=(),
    high_risk_types=(),
    group_size: int = 5,
    repeat_threshold: int = 2,
) -> RiskScheme:
    """Change a scheme's colours, weights, words and thresholds (checked by `clean_scheme`);
    existing grades are kept (a later event regrades the dispute)."""
    from django.db import transaction

    from civicgrid.audit.models import ChangeAction
    from civicgrid.audit.services import record_change, snapshot

    from .choices import DisputeType

    _require_manager(actor, "change")
    levels, weights, words, types = clean_scheme(levels, weights, threat_words, high_risk_types)
    if set(types) - set(DisputeType.values):
        raise _invalid(_("高风险纠纷类型不正确"), field="high_risk_types")
    for name, value in (("group_size", group_size), ("repeat_threshold", repeat_threshold)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _invalid(_("应为正整数"), field=name)
    with transaction.atomic():
        scheme = RiskScheme.objects.select_for_update().get(pk=scheme.pk)
        before = snapshot(scheme)
        scheme.levels, scheme.weights, scheme.threat_words, scheme.high_risk_types = (
            levels,
            weights,
            words,
            types,
        )
        scheme.group_size, scheme.repeat_threshold = group_size, repeat_threshold
        scheme.save()
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=scheme, before=before, after=snapshot(scheme)
        )
    return scheme


def do_activate_risk_scheme(scheme: RiskScheme, *, actor) -> RiskScheme:
    """Make `scheme` the one active scheme."""
    from django.db import transaction

    from civicgrid.audit.models import ChangeAction
    from civicgrid.audit.services import record_change, snapshot

    _require_manager(actor, "change")
    clean_scheme(scheme.levels, scheme.weights or {}, scheme.threat_words, scheme.high_risk_types)
    with transaction.atomic():
        for other in RiskScheme.objects.select_for_update().filter(is_active=True).exclude(pk=scheme.pk):
            before = snapshot(other)
            other.is_active = False
            other.save(update_fields=["is_active", "updated_at"])
            record_change(
                actor=actor, action=ChangeAction.UPDATE, instance=other, before=before, after=snapshot(other)
            )
        scheme = RiskScheme.objects.select_for_update().get(pk=scheme.pk)
        before = snapshot(scheme)
        scheme.is_active = True
        scheme.save(update_fields=["is_active", "updated_at"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=scheme, before=before, after=snapshot(scheme)
        )
    return scheme
