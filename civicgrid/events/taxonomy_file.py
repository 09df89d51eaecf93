"""The taxonomy file format (JSON) and its parser: a nested list of 大类 with their 小类, plus
file-wide defaults. docs/taxonomy.md describes the format; `data/taxonomy_zh.json` is the default.

```
{"version": "2026.1",
 "defaults": {"response": {"amount": 1, "unit": "working_days"},
              "handling": {"amount": 5, "unit": "working_days"}, "priority": "normal"},
 "categories": [{"code": "01", "name": "市容环境", "children": [
     {"code": "0101", "name": "暴露垃圾", "keywords": ["暴露垃圾", {"word": "垃圾", "weight": 1}]}]}]}
```

A value a 小类 leaves out comes from its 大类, then from the file's defaults, then from the model's
defaults (`INHERITED`); `sort_order` defaults to the position in the file. Every problem in the file
is collected with its location ("categories[2].children[0].required_fields[1].type") before anything
is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError

from .error_codes import TaxonomyErrorCode as E
from .taxonomy_services import clean_category_fields, clean_code

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "taxonomy_zh.json"

# Keys a 小类 inherits from its 大类 and both from the file's "defaults".
INHERITED = ("response", "handling", "max_extension", "priority", "auto_escalate")
ENTRY_KEYS = {
    "code",
    "name",
    "description",
    "response",
    "handling",
    "max_extension",
    "priority",
    "required_fields",
    "emergency_transfer",
    "auto_escalate",
    "keywords",
    "service_notice",
    "is_active",
    "sort_order",
    "children",
}
MODEL_DEFAULTS = {
    "response": {"amount": 1, "unit": "working_days"},
    "handling": {"amount": 5, "unit": "working_days"},
    "max_extension": 0,
    "priority": "normal",
    "auto_escalate": False,
}


class TaxonomyFileError(ServiceError):
    """A taxonomy file with problems; `params["errors"]` lists every (location, message)."""


def read_taxonomy_file(path: str | Path = DEFAULT_FILE):
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomyFileError(
            E.INVALID_FILE, _("无法读取分类文件：%(error)s") % {"error": exc}, field="file"
        ) from exc


def _limit_fields(value, name: str, where: str, errors: list) -> dict:
    if not isinstance(value, dict) or set(value) != {"amount", "unit"}:
        errors.append((f"{where}.{name}", _('时限应写成 {"amount": 数量, "unit": 单位}。')))
        return {}
    return {f"{name}_amount": value["amount"], f"{name}_unit": value["unit"]}


def _entry(raw, where: str, parent: dict | None, defaults: dict, errors: list, position: int):
    """One category of the file → {"code", "parent_code", "fields"} (or None after an error)."""
    if not isinstance(raw, dict):
        errors.append((where, _("分类必须是对象。")))
        return None
    unknown = sorted(set(raw) - ENTRY_KEYS)
    if unknown:
        errors.append((f"{where}.{unknown[0]}", _("不支持的属性“%(key)s”。") % {"key": unknown[0]}))
        return None
    try:
        code = clean_code(raw.get("code"), parent["code"] if parent else None)
    except ServiceError as exc:
        errors.append((f"{where}.code", str(exc.message)))
        return None
    inherited = {k: raw.get(k, (parent or {}).get("inherit", {}).get(k, defaults[k])) for k in INHERITED}
    data = {
        "name": raw.get("name"),
        "description": raw.get("description", ""),
        "max_extension": inherited["max_extension"],
        "priority": inherited["priority"],
        "auto_escalate": inherited["auto_escalate"],
        "required_fields": raw.get("required_fields", []),
        "emergency_transfer": raw.get("emergency_transfer"),
        "keywords": raw.get("keywords", []),
        "service_notice": raw.get("service_notice", ""),
        "is_active": raw.get("is_active", True),
        "sort_order": raw.get("sort_order", position * 10),
    }
    for name in ("response", "handling"):
        data.update(_limit_fields(inherited[name], name, where, errors))
    try:
        fields = clean_category_fields(data)
    except ServiceError as exc:
        errors.append((f"{where}.{_file_key(exc.field)}", str(exc.message)))
        return None
    return {
        "code": code,
        "parent_code": parent["code"] if parent else None,
        "fields": fields,
        "inherit": inherited,
    }


def _file_key(model_field: str | None) -> str:
    """Name an error by the file's key: response_amount is written "response" in a file."""
    for name in ("response", "handling"):
        if model_field and model_field.startswith(f"{name}_"):
            return name
    return model_field or "code"


def parse_taxonomy(data) -> list[dict]:
    """Validate a whole taxonomy (the parsed JSON) and flatten it, 大类 before their 小类:
    [{"code", "parent_code", "fields": {model field: value}}]. Raises TaxonomyFileError listing every
    problem."""
    errors: list[tuple[str, str]] = []
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise TaxonomyFileError(
            E.INVALID_FILE, _("分类文件应是含 categories 列表的 JSON 对象。"), field="categories"
        )
    defaults = dict(MODEL_DEFAULTS)
    file_defaults = data.get("defaults") or {}
    if not isinstance(file_defaults, dict) or set(file_defaults) - set(INHERITED):
        errors.append(("defaults", _("defaults 只能包含：%(keys)s。") % {"keys": "、".join(INHERITED)}))
    else:
        defaults.update(file_defaults)
    entries: list[dict] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(data["categories"]):
        where = f"categories[{i}]"
        major = _entry(raw, where, None, defaults, errors, i + 1)
        if major is None:
            continue
        if len(major["code"]) != 2:
            errors.append(
                (f"{where}.code", _("大类代码应为 2 位数字，收到“%(code)s”。") % {"code": major["code"]})
            )
        _remember(major, where, seen, errors)
        entries.append(major)
        children = raw.get("children", [])
        if not isinstance(children, list):
            errors.append((f"{where}.children", _("children 必须是列表。")))
            continue
        for j, child_raw in enumerate(children):
            child_where = f"{where}.children[{j}]"
            if isinstance(child_raw, dict) and "children" in child_raw:
                errors.append((f"{child_where}.children", _("事件分类只有大类和小类两级。")))
                continue
            child = _entry(child_raw, child_where, major, defaults, errors, j + 1)
            if child is not None:
                _remember(child, child_where, seen, errors)
                entries.append(child)
    if errors:
        location, message = errors[0]
        raise TaxonomyFileError(
            E.INVALID_FILE,
            _("分类文件有 %(n)d 处错误，第一处在 %(where)s：%(message)s")
            % {"n": len(errors), "where": location, "message": message},
            field=location,
            params={"errors": errors},
        )
    for entry in entries:
        entry.pop("inherit", None)
    return entries


def _remember(entry: dict, where: str, seen: dict, errors: list) -> None:
    if entry["code"] in seen:
        errors.append(
            (
                f"{where}.code",
                _("分类代码“%(code)s”重复（已在 %(other)s 出现）。")
                % {"code": entry["code"], "other": seen[entry["code"]]},
            )
        )
    seen[entry["code"]] = where
