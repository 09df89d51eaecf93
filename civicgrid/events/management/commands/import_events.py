"""manage.py import_events FILE.csv --mapping mapping.json [--skip-bad-rows] [--report rejected.csv]

Imports historical events through the same intake pipeline as every other channel (validate,
locate, classify, duplicates, numbering, timeline, audit), as the system (no actor).

The mapping is a JSON object {field: column header}; fields: title (required), description,
category, lon, lat, crs, area_code, address, reporter_name, reporter_phone, channel, opened_at
(ISO 8601; naive times are Asia/Shanghai), idempotency_key, and "answers.<key>" for the answer to
a category's question (e.g. "answers.night_work": "夜间施工", values 是/否 for yes/no questions). A column missing from the file is an
error before any row is read. `"defaults": {field: value}` fills fields without a column (e.g.
{"channel": "hotline_12345"}).

All or nothing: one bad row and nothing is imported, unless --skip-bad-rows, which imports the good
rows. Either way the rejected rows are written to the report (CSV: row number, field, reason) and
summarised. XLSX is read only when openpyxl is installed (it is not a dependency).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import ServiceError
from civicgrid.events.classify import Classifier
from civicgrid.events.intake import report_event

FIELDS = (
    "title",
    "description",
    "category",
    "lon",
    "lat",
    "crs",
    "area_code",
    "address",
    "reporter_name",
    "reporter_phone",
    "channel",
    "opened_at",
    "idempotency_key",
)


class _Abort(Exception):
    """Raised inside the transaction to roll back an all-or-nothing import."""


def read_rows(path: Path):
    """Header list and row dicts from a CSV (UTF-8, with or without BOM) or an XLSX file."""
    if path.suffix.lower() == ".xlsx":
        try:
            import openpyxl
        except ImportError:
            raise CommandError(
                _("读取 XLSX 需要 openpyxl，本系统未安装；请另存为 CSV（UTF-8）后导入")
            ) from None
        sheet = openpyxl.load_workbook(path, read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h or "").strip() for h in rows[0]] if rows else []
        return header, [
            dict(zip(header, ["" if v is None else v for v in r], strict=False)) for r in rows[1:]
        ]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return [h.strip() for h in reader.fieldnames or []], rows


def read_mapping(path: Path) -> tuple[dict, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(_("无法读取字段映射文件：%(error)s") % {"error": exc}) from None
    if not isinstance(data, dict):
        raise CommandError(_("字段映射必须是 JSON 对象"))
    defaults = data.pop("defaults", {}) or {}
    unknown = sorted(k for k in (set(data) | set(defaults)) - set(FIELDS) if not k.startswith("answers."))
    if unknown:
        raise CommandError(_("字段映射含未知字段：%(fields)s") % {"fields": "、".join(unknown)})
    if "title" not in data:
        raise CommandError(_("字段映射必须给出 title（标题）所在的列"))
    return data, defaults


def _opened_at(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = parse_datetime(str(value).strip().replace("/", "-"))
        if parsed is None:
            raise ServiceError(
                "invalid", _("时间“%(value)s”无法识别（应为 ISO 8601）") % {"value": value}, "opened_at"
            )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


class Command(BaseCommand):
    help = _("导入历史事件（CSV/XLSX），经完整受理流程；默认全部成功才导入")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件"))
        parser.add_argument("--mapping", required=True, help=_("字段映射 JSON 文件"))
        parser.add_argument("--skip-bad-rows", action="store_true", help=_("跳过有错误的行，导入其余行"))
        parser.add_argument("--report", help=_("被拒绝行的报告（CSV），默认与源文件同目录"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        mapping, defaults = read_mapping(Path(options["mapping"]))
        header, rows = read_rows(path)
        missing = sorted(column for column in mapping.values() if column not in header)
        if missing:
            raise CommandError(_("文件中没有这些列：%(columns)s") % {"columns": "、".join(missing)})
        report_path = Path(options["report"] or path.with_suffix(".rejected.csv"))
        classifier = Classifier.from_database()  # built once for the whole file
        rejected, imported = [], 0
        try:
            with transaction.atomic():
                for number, row in enumerate(rows, start=2):  # line 1 is the header
                    values = {**defaults, **{f: row.get(c, "") for f, c in mapping.items()}}
                    try:
                        answers = {k[8:]: values.pop(k) for k in list(values) if k.startswith("answers.")}
                        values["answers"] = {k: v for k, v in answers.items() if v not in (None, "")}
                        values["opened_at"] = _opened_at(values.get("opened_at"))
                        values.setdefault("channel", "hotline_12345")
                        values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
                        with transaction.atomic():
                            result = report_event(actor=None, classifier=classifier, **values)
                        imported += int(result.created)
                    except ServiceError as exc:
                        rejected.append((number, exc.field or "", str(exc.message)))
                if rejected and not options["skip_bad_rows"]:
                    raise _Abort
        except _Abort:
            imported = 0
        if rejected:
            with report_path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([_("行号"), _("字段"), _("原因")])
                writer.writerows(rejected)
        summary = _("导入 %(ok)d 条，拒绝 %(bad)d 条") % {"ok": imported, "bad": len(rejected)}
        if rejected:
            summary += _("；拒绝原因见 %(path)s") % {"path": report_path}
        if rejected and not options["skip_bad_rows"]:
            raise CommandError(_("有错误行，未导入任何数据（可用 --skip-bad-rows 跳过）。") + summary)
        self.stdout.write(summary)
