"""The only writers of event categories and dispatch rules, and the loader of taxonomy files.

Each `do_<verb>_<noun>` opens a transaction, checks the actor's grant, validates, saves, and writes the
audit row (`civicgrid.audit.services`). Bad input raises `ServiceError(code, Chinese message,
field=...)`; nothing is half-written. `actor=None` is the system (a management command run by the
operator) and is trusted.

Who may write:
* the taxonomy is city-wide data, so changing it needs `events.<verb>_category` over every top-level
  area (a city administrator), never a grant over one county only;
* a dispatch rule is scoped by its area: `events.<verb>_dispatchrule` over the rule's area (for a
  change, over both the old and the new area), so nobody moves a rule out of their own reach.

The validators (`clean_*`) are shared by the services, the taxonomy loader and the API's error
messages, so a category in a file passes exactly the rules of an interactive edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Unit
from civicgrid.areas.models import Area
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_bulk_change, record_change, snapshot
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import path_in_scope

from .error_codes import TaxonomyErrorCode as E
from .models.taxonomy import (
    CHOICE_TYPES,
    Category,
    DispatchRule,
    EmergencyService,
    LimitUnit,
    Priority,
    QuestionType,
)

NAME_MAX = 50
LABEL_MAX = 50
NOTICE_MAX = 500
KEYWORD_MAX = 20
MAX_WEIGHT = 10.0
_CODE = re.compile(r"^\d{2,12}$")
_QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_QUESTION_KEYS = {"key", "label", "type", "choices", "required", "help"}


# --- field checks ---------------------------------------------------------------------------------


def clean_code(value, parent_code: str | None = None, field: str = "code") -> str:
    """Digits only (as 数字城管 codes are); a 小类's code is its 大类's code plus at least two digits."""
    code = str(value if value is not None else "").strip()
    if not _CODE.match(code):
        raise ServiceError(
            E.INVALID_CODE,
            _("分类代码“%(code)s”无效，应为 2–12 位数字（大类如 01，小类如 0101）。") % {"code": code},
            field=field,
        )
    if parent_code is not None and not (code.startswith(parent_code) and len(code) >= len(parent_code) + 2):
        raise ServiceError(
            E.INVALID_CODE,
            _("小类代码“%(code)s”应以所属大类代码“%(parent)s”开头并再加至少两位数字。")
            % {"code": code, "parent": parent_code},
            field=field,
        )
    return code


def clean_text(value, field: str, label, max_length: int | None, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(E.INVALID, _("%(label)s必须是文本。") % {"label": label}, field=field)
    value = value.strip()
    if required and not value:
        raise ServiceError(E.REQUIRED, _("%(label)s不能为空。") % {"label": label}, field=field)
    if max_length is not None and len(value) > max_length:
        raise ServiceError(
            E.INVALID,
            _("%(label)s不能超过 %(n)d 个字。") % {"label": label, "n": max_length},
            field=field,
        )
    return value


def clean_limit(amount, unit, field: str) -> tuple[int, str]:
    """A time limit: a positive whole number of one of the deadline engine's units."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ServiceError(
            E.INVALID_LIMIT,
            _("时限必须是正整数，收到“%(value)s”。") % {"value": amount},
            field=f"{field}_amount",
        )
    if unit not in LimitUnit.values:
        raise ServiceError(
            E.INVALID_LIMIT,
            _("时限单位“%(value)s”无效，可选：%(all)s。")
            % {"value": unit, "all": "、".join(LimitUnit.values)},
            field=f"{field}_unit",
        )
    return amount, unit


def clean_choice(value, choices, field: str, label, *, allow_none: bool = False):
    if value in (None, "") and allow_none:
        return None
    if value not in choices.values:
        raise ServiceError(
            E.INVALID_CHOICE,
            _("%(label)s“%(value)s”无效，可选：%(all)s。")
            % {"label": label, "value": value, "all": "、".join(choices.values)},
            field=field,
        )
    return value


def clean_count(value, field: str, label) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ServiceError(E.INVALID, _("%(label)s必须是非负整数。") % {"label": label}, field=field)
    return value


def clean_bool(value, field: str, label) -> bool:
    if not isinstance(value, bool):
        raise ServiceError(E.INVALID, _("%(label)s必须是 true 或 false。") % {"label": label}, field=field)
    return value


def clean_questions(value, field: str = "required_fields") -> list[dict]:
    """The typed questions intake asks for a category, normalised to
    [{key, label, type, required, choices?, help?}]. Errors name the exact item and key, e.g.
    "required_fields[1].choices"."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ServiceError(E.INVALID_QUESTION, _("必填信息必须是问题列表。"), field=field)
    questions, seen = [], set()
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise ServiceError(
                E.INVALID_QUESTION, _("第 %(n)d 个问题必须是对象。") % {"n": i + 1}, field=where
            )
        unknown = sorted(set(item) - _QUESTION_KEYS)
        if unknown:
            raise ServiceError(
                E.INVALID_QUESTION,
                _("问题不支持属性“%(key)s”。") % {"key": unknown[0]},
                field=f"{where}.{unknown[0]}",
            )
        key = item.get("key")
        if not isinstance(key, str) or not _QUESTION_KEY.match(key):
            raise ServiceError(
                E.INVALID_QUESTION,
                _("问题标识“%(key)s”无效：应以小写字母开头，只含小写字母、数字和下划线，最长 40 位。")
                % {"key": key if key is not None else ""},
                field=f"{where}.key",
            )
        if key in seen:
            raise ServiceError(
                E.INVALID_QUESTION, _("问题标识“%(key)s”重复。") % {"key": key}, field=f"{where}.key"
            )
        seen.add(key)
        label = clean_text(item.get("label"), f"{where}.label", _("问题名称"), LABEL_MAX, required=True)
        qtype = item.get("type")
        if qtype not in QuestionType.values:
            raise ServiceError(
                E.INVALID_QUESTION,
                _("问题类型“%(type)s”无效，可选：%(all)s。")
                % {"type": qtype if qtype is not None else "", "all": "、".join(QuestionType.values)},
                field=f"{where}.type",
            )
        question = {"key": key, "label": label, "type": qtype}
        choices = item.get("choices")
        if qtype in CHOICE_TYPES:
            if (
                not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c.strip() for c in choices)
            ):
                raise ServiceError(
                    E.INVALID_QUESTION,
                    _("选择题“%(label)s”必须给出非空的选项列表。") % {"label": label},
                    field=f"{where}.choices",
                )
            stripped = [c.strip() for c in choices]
            if len(set(stripped)) != len(stripped):
                raise ServiceError(
                    E.INVALID_QUESTION,
                    _("选择题“%(label)s”的选项重复。") % {"label": label},
                    field=f"{where}.choices",
                )
            question["choices"] = stripped
        elif choices is not None:
            raise ServiceError(
                E.INVALID_QUESTION,
                _("只有单选题和多选题可以有选项（“%(label)s”的类型是 %(type)s）。")
                % {"label": label, "type": qtype},
                field=f"{where}.choices",
            )
        question["required"] = clean_bool(item.get("required", False), f"{where}.required", _("是否必填"))
        if item.get("help"):
            question["help"] = clean_text(item["help"], f"{where}.help", _("填写说明"), 200, required=False)
        questions.append(question)
    return questions


def default_weight(word: str) -> float:
    """Longer keywords say more: 2 characters weigh 1, 3 weigh 1.5, 4 or more weigh 2."""
    return min(max(len(word), 2), 4) / 2


def clean_keywords(value, field: str = "keywords") -> list[dict]:
    """Classifier keywords, normalised to [{word, weight}]. An item is a word ("暴露垃圾", weight by
    length, see `default_weight`) or {"word": ..., "weight": 0 < w ≤ 10}."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ServiceError(E.INVALID_KEYWORD, _("关键词必须是列表。"), field=field)
    result, seen = [], set()
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        word, weight = (item, None) if isinstance(item, str) else (None, None)
        if isinstance(item, dict):
            word, weight = item.get("word"), item.get("weight")
        if not isinstance(word, str) or not word.strip():
            raise ServiceError(E.INVALID_KEYWORD, _("关键词不能为空。"), field=where)
        word = word.strip()
        if len(word) > KEYWORD_MAX:
            raise ServiceError(
                E.INVALID_KEYWORD,
                _("关键词“%(word)s”超过 %(n)d 个字。") % {"word": word, "n": KEYWORD_MAX},
                field=where,
            )
        if word in seen:
            raise ServiceError(E.INVALID_KEYWORD, _("关键词“%(word)s”重复。") % {"word": word}, field=where)
        seen.add(word)
        if weight is None:
            weight = default_weight(word)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= MAX_WEIGHT:
            raise ServiceError(
                E.INVALID_KEYWORD,
                _("关键词“%(word)s”的权重必须大于 0 且不超过 %(max)s。") % {"word": word, "max": MAX_WEIGHT},
                field=f"{where}.weight",
            )
        result.append({"word": word, "weight": float(weight)})
    return result


# Fields a category's data may set, with their cleaners. Code and parent are fixed at creation.
CATEGORY_FIELDS = (
    "name",
    "description",
    "response_amount",
    "response_unit",
    "handling_amount",
    "handling_unit",
    "max_extension",
    "priority",
    "required_fields",
    "emergency_transfer",
    "auto_escalate",
    "keywords",
    "service_notice",
    "is_active",
    "sort_order",
)


def clean_category_fields(data: dict, current: dict | None = None) -> dict:
    """Validate the given category fields; `current` supplies the other half of a limit when only one
    of amount/unit changes. Returns the normalised values of the fields given."""
    unknown = sorted(set(data) - set(CATEGORY_FIELDS))
    if unknown:
        raise ServiceError(
            E.UNKNOWN_FIELD, _("字段“%(field)s”不能这样修改。") % {"field": unknown[0]}, field=unknown[0]
        )
    current = current or {}
    out: dict = {}
    if "name" in data:
        out["name"] = clean_text(data["name"], "name", _("名称"), NAME_MAX, required=True)
    if "description" in data:
        out["description"] = clean_text(data["description"], "description", _("说明"), None, required=False)
    for limit in ("response", "handling"):
        a, u = f"{limit}_amount", f"{limit}_unit"
        if a in data or u in data:
            amount, unit = clean_limit(data.get(a, current.get(a)), data.get(u, current.get(u)), limit)
            out.update({k: v for k, v in ((a, amount), (u, unit)) if k in data})
    if "max_extension" in data:
        out["max_extension"] = clean_count(data["max_extension"], "max_extension", _("最长延期"))
    if "priority" in data:
        out["priority"] = clean_choice(data["priority"], Priority, "priority", _("优先级"))
    if "required_fields" in data:
        out["required_fields"] = clean_questions(data["required_fields"])
    if "emergency_transfer" in data:
        value = data["emergency_transfer"]
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        out["emergency_transfer"] = clean_choice(
            value, EmergencyService, "emergency_transfer", _("紧急转办"), allow_none=True
        )
    for name, label in (("auto_escalate", _("超时自动上报")), ("is_active", _("有效"))):
        if name in data:
            out[name] = clean_bool(data[name], name, label)
    if "keywords" in data:
        out["keywords"] = clean_keywords(data["keywords"])
    if "service_notice" in data:
        out["service_notice"] = clean_text(
            data["service_notice"], "service_notice", _("办理告知"), NOTICE_MAX, required=False
        )
    if "sort_order" in data:
        out["sort_order"] = clean_count(data["sort_order"], "sort_order", _("排序"))
    return out


# --- who may write --------------------------------------------------------------------------------


def check_taxonomy_writer(actor, verb: str) -> None:
    """The taxonomy is the whole city's: the actor needs `events.<verb>_category` over every
    top-level area. `actor=None` (the operator's command) is trusted."""
    if actor is None:
        return
    action = f"events.{verb}_category"
    roots = list(Area.objects.filter(parent__isnull=True).values_list("path", flat=True)) or ["/"]
    if not all(path_in_scope(actor, action, path) for path in roots):
        raise NotPermitted(E.NOT_PERMITTED, _("修改事件分类需要全市范围的分类管理权限。"))


def check_rule_scope(actor, verb: str, area: Area) -> None:
    """`events.<verb>_dispatchrule` over the rule's area; a miss looks like a missing object."""
    if actor is not None and not path_in_scope(actor, f"events.{verb}_dispatchrule", area.path):
        raise NotPermitted(E.NOT_PERMITTED, _("对象不存在或不在您的管辖范围内。"))


# --- categories -----------------------------------------------------------------------------------


def is_in_use(category: Category) -> bool:
    """True when any row points at the category: a 小类 under it, a dispatch rule, or (later) a case.
    Found through the model's reverse relations, so kinds added later count without changes here."""
    for rel in category._meta.related_objects:
        if rel.related_model._base_manager.filter(**{rel.field.name: category}).exists():
            return True
    return False


def do_create_category(*, actor, code, name, parent: Category | None = None, **fields) -> Category:
    """Create a 大类 (no parent) or a 小类 under an existing 大类. Limits default to 1 working day
    to respond and 5 working days to handle (the usual 12345 practice)."""
    check_taxonomy_writer(actor, "add")
    if parent is not None and parent.parent_id is not None:
        raise ServiceError(
            E.TOO_DEEP, _("事件分类只有大类和小类两级，不能在小类下再建分类。"), field="parent"
        )
    code = clean_code(code, parent.code if parent else None)
    values = clean_category_fields(
        {"name": name, **fields}, current={f: Category._meta.get_field(f).default for f in CATEGORY_FIELDS}
    )
    with transaction.atomic():
        if Category.objects.filter(code=code).exists():
            raise ServiceError(
                E.DUPLICATE_CODE, _("分类代码“%(code)s”已存在。") % {"code": code}, field="code"
            )
        category = Category.objects.create(code=code, parent=parent, **values)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=category, before=None, after=snapshot(category)
        )
    return category


@transaction.atomic
def do_update_category(category: Category, *, actor, **changes) -> Category:
    """Change a category's fields (its code and parent are permanent: a recoded class is a new one).
    A 大类 with active 小类 cannot be deactivated; deactivate the 小类 first."""
    check_taxonomy_writer(actor, "change")
    category = Category.objects.select_for_update().get(pk=category.pk)
    values = clean_category_fields(changes, current={f: getattr(category, f) for f in CATEGORY_FIELDS})
    if values.get("is_active") is False and category.children.filter(is_active=True).exists():
        raise ServiceError(E.HAS_CHILDREN, _("该大类还有有效的小类，不能停用。"), field="is_active")
    if values.get("is_active") is True and category.parent_id and not category.parent.is_active:
        raise ServiceError(E.INACTIVE_TARGET, _("所属大类已停用，请先启用大类。"), field="is_active")
    fields = [name for name, value in values.items() if getattr(category, name) != value]
    if not fields:
        return category
    before = snapshot(category)
    for name in fields:
        setattr(category, name, values[name])
    category.save(update_fields=[*fields, "updated_at"])
    record_change(
        actor=actor, action=ChangeAction.UPDATE, instance=category, before=before, after=snapshot(category)
    )
    return category


# --- dispatch rules -------------------------------------------------------------------------------


def _on_branch(unit: Unit, area: Area) -> bool:
    """A unit serves a rule's area when it sits at the area, above it, or inside it — never in
    another branch of the tree (a unit of the next county)."""
    unit_path = unit.area.path
    return area.path.startswith(unit_path) or unit_path.startswith(area.path)


def clean_units(lead_unit: Unit, co_handlers, area: Area) -> list[Unit]:
    """Units must be active and on the rule area's branch; the lead is not also a co-handler."""
    if lead_unit is None:
        raise ServiceError(E.REQUIRED, _("主办单位不能为空。"), field="lead_unit")
    co_handlers = list(dict.fromkeys(co_handlers or ()))
    for unit, name in [(lead_unit, "lead_unit"), *((u, "co_handlers") for u in co_handlers)]:
        if not unit.is_active:
            raise ServiceError(E.UNIT_INACTIVE, _("单位“%(unit)s”已停用。") % {"unit": unit.name}, field=name)
        if not _on_branch(unit, area):
            raise ServiceError(
                E.UNIT_OUT_OF_AREA,
                _("单位“%(unit)s”不在“%(area)s”的上级或辖区内。") % {"unit": unit.name, "area": area.name},
                field=name,
            )
    if lead_unit in co_handlers:
        raise ServiceError(
            E.LEAD_IS_CO_HANDLER,
            _("主办单位“%(unit)s”不能同时是协办单位。") % {"unit": lead_unit.name},
            field="co_handlers",
        )
    return co_handlers


def _check_rule_targets(category: Category, area: Area, exclude_pk=None) -> None:
    if category is None:
        raise ServiceError(E.REQUIRED, _("事件分类不能为空。"), field="category")
    if area is None:
        raise ServiceError(E.REQUIRED, _("适用区划不能为空。"), field="area")
    if not category.is_active:
        raise ServiceError(
            E.INACTIVE_TARGET, _("事件分类“%(c)s”已停用。") % {"c": category.name}, field="category"
        )
    if not area.is_active:
        raise ServiceError(E.INACTIVE_TARGET, _("区划“%(a)s”已撤销。") % {"a": area.name}, field="area")
    clash = DispatchRule.objects.filter(category=category, area=area, is_active=True).exclude(pk=exclude_pk)
    if clash.exists():
        raise _duplicate_rule(category, area)


def _duplicate_rule(category, area) -> ServiceError:
    return ServiceError(
        E.DUPLICATE_RULE,
        _("“%(area)s”已有“%(category)s”的有效派单规则，请修改那条规则。")
        % {"area": area.name, "category": category.name},
        field="category",
    )


def _save_rule(rule: DispatchRule, fields=None) -> None:
    # Two dispatchers creating the same rule at once: the database constraint decides, and the
    # loser gets the same clear error as a sequential duplicate.
    try:
        with transaction.atomic():
            rule.save(update_fields=fields) if fields else rule.save()
    except IntegrityError:
        raise _duplicate_rule(rule.category, rule.area) from None


def do_create_dispatch_rule(
    *, actor, category: Category, area: Area, lead_unit: Unit, co_handlers=(), note: str = ""
) -> DispatchRule:
    """Add a catalogue line: `category` events in `area`'s subtree go to `lead_unit` with
    `co_handlers`. Needs `events.add_dispatchrule` over `area`."""
    if area is not None:
        check_rule_scope(actor, "add", area)
    note = clean_text(note, "note", _("备注"), 500, required=False)
    with transaction.atomic():
        _check_rule_targets(category, area)
        co_handlers = clean_units(lead_unit, co_handlers, area)
        rule = DispatchRule(category=category, area=area, lead_unit=lead_unit, note=note)
        _save_rule(rule)
        rule.co_handlers.set(co_handlers)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=rule, before=None, after=snapshot(rule)
        )
    return rule


RULE_FIELDS = {"category", "area", "lead_unit", "co_handlers", "note", "is_active"}


@transaction.atomic
def do_update_dispatch_rule(rule: DispatchRule, *, actor, **changes) -> DispatchRule:
    """Change a rule. Needs `events.change_dispatchrule` over its area and, when the area changes,
    over the new one too. A reactivated rule must again pass every check of a new one."""
    unknown = sorted(set(changes) - RULE_FIELDS)
    if unknown:
        raise ServiceError(
            E.UNKNOWN_FIELD, _("字段“%(field)s”不能这样修改。") % {"field": unknown[0]}, field=unknown[0]
        )
    rule = (
        DispatchRule.objects.select_for_update()
        .select_related("area", "category", "lead_unit")
        .get(pk=rule.pk)
    )
    check_rule_scope(actor, "change", rule.area)
    new_area = changes.get("area", rule.area)
    if new_area is None:
        raise ServiceError(E.REQUIRED, _("适用区划不能为空。"), field="area")
    check_rule_scope(actor, "change", new_area)
    before = snapshot(rule)
    old_co = list(rule.co_handlers.all())
    if "note" in changes:
        changes["note"] = clean_text(changes["note"], "note", _("备注"), 500, required=False)
    if "is_active" in changes:
        changes["is_active"] = clean_bool(changes["is_active"], "is_active", _("有效"))
    for name in ("category", "area", "lead_unit", "note", "is_active"):
        if name in changes:
            setattr(rule, name, changes[name])
    co_handlers = changes.get("co_handlers", old_co)
    if rule.is_active:
        _check_rule_targets(rule.category, rule.area, exclude_pk=rule.pk)
        co_handlers = clean_units(rule.lead_unit, co_handlers, rule.area)
    _save_rule(rule, ["category", "area", "lead_unit", "note", "is_active", "updated_at"])
    if "co_handlers" in changes:
        rule.co_handlers.set(co_handlers)
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=rule, before=before, after=snapshot(rule))
    return rule


@transaction.atomic
def do_delete_dispatch_rule(rule: DispatchRule, *, actor) -> None:
    """Remove a rule entered by mistake (the audit row keeps it). To stop using a rule that
    dispatched cases, deactivate it instead; one that is referenced cannot be deleted."""
    rule = DispatchRule.objects.select_for_update(of=("self",)).select_related("area").get(pk=rule.pk)
    check_rule_scope(actor, "delete", rule.area)
    before = snapshot(rule)
    for rel in rule._meta.related_objects:
        if rel.related_model._base_manager.filter(**{rel.field.name: rule}).exists():
            raise ServiceError(E.IN_USE, _("已有案件按此规则派遣，不能删除；请停用。"), field="is_active")
    pk = rule.pk
    rule.co_handlers.clear()
    rule.delete()
    rule.pk = pk
    record_change(actor=actor, action=ChangeAction.DELETE, instance=rule, before=before, after=None)


# --- loading a taxonomy file ----------------------------------------------------------------------


@dataclass
class LoadReport:
    """What `do_load_taxonomy` did, by category code."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # code → changed fields
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)  # missing from the file but in use
    deleted: list[str] = field(default_factory=list)  # missing from the file and unused

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.deleted)


def do_load_taxonomy(data, *, actor, source: str = "", prune: bool = True) -> LoadReport:
    """Make the categories match a taxonomy file (see docs/taxonomy.md and `taxonomy_file`):
    create new codes, update changed ones, and for codes missing from the file delete the unused
    ones and deactivate those in use (with `prune=False`, leave them alone). Idempotent: loading the
    same file again changes nothing and writes no audit row. All or nothing: the whole file is
    validated first. One batch audit row lists every code touched (`record_bulk_change`)."""
    from .taxonomy_file import parse_taxonomy

    check_taxonomy_writer(actor, "change")
    entries = parse_taxonomy(data)
    report = LoadReport()
    before_rows: dict[str, dict] = {}
    after_rows: dict[str, dict] = {}
    with transaction.atomic():
        existing = {c.code: c for c in Category.objects.select_for_update().order_by("code")}
        for entry in entries:  # 大类 before their 小类
            code, values = entry["code"], dict(entry["fields"])
            values["parent"] = existing[entry["parent_code"]] if entry["parent_code"] else None
            category = existing.get(code)
            if category is None:
                category = Category.objects.create(code=code, **values)
                existing[code] = category
                report.created.append(code)
                after_rows[code] = snapshot(category)
                continue
            changed = [name for name, value in values.items() if getattr(category, name) != value]
            if not changed:
                report.unchanged.append(code)
                continue
            before = snapshot(category)
            for name in changed:
                setattr(category, name, values[name])
            category.save(update_fields=[*changed, "updated_at"])
            report.updated[code] = changed
            after = snapshot(category)
            keys = [k for k in after if before.get(k) != after.get(k)]
            before_rows[code] = {k: before.get(k) for k in keys}
            after_rows[code] = {k: after[k] for k in keys}
        if prune:
            in_file = {entry["code"] for entry in entries}
            # 小类 first, so that a 大类 whose 小类 all went is free to go too.
            for code in sorted(set(existing) - in_file, key=lambda c: (-len(c), c)):
                _retire(existing[code], report, before_rows, after_rows)
        if report.changed:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
            record_bulk_change(
                actor=actor,
                action=ChangeAction.UPDATE,
                model=Category,
                batch_id=f"taxonomy:{stamp}",
                description=_("载入事件分类 %(source)s") % {"source": source or "-"},
                before=before_rows,
                after={"rows": after_rows, "summary": report_summary(report)},
            )
    return report


def _retire(category: Category, report: LoadReport, before_rows: dict, after_rows: dict) -> None:
    code = category.code
    if is_in_use(category):
        if category.is_active:
            before_rows[code] = {"is_active": True}
            category.is_active = False
            category.save(update_fields=["is_active", "updated_at"])
            after_rows[code] = {"is_active": False}
            report.deactivated.append(code)
        return
    before_rows[code] = snapshot(category)
    category.delete()
    after_rows[code] = None
    report.deleted.append(code)


def report_summary(report: LoadReport) -> dict:
    return {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "deactivated": len(report.deactivated),
        "deleted": len(report.deleted),
    }
