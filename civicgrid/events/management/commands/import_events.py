"""manage.py import_events FILE.csv|FILE.xlsx --mapping mapping.json [--skip-bad-rows] [--report rejected.csv]
[--workers N]

Imports historical events through the bulk path (`civicgrid.events.bulk`): the intake pipeline —
validate, locate, classify, duplicates, numbering — plus routing, deadlines, timeline and audit for
cases imported with their final state, written a batch at a time through the database cursor, as
the system (no actor). Fields, statuses and what each writes: docs/bulk-import.md.

The mapping is a JSON object {field: column header}; fields: title (required), description,
category, lon, lat, crs, area_code, address, reporter_name, reporter_phone, channel, opened_at
(ISO 8601; naive times are Asia/Shanghai), idempotency_key, "answers.<key>" for the answer to a
category's question (values 是/否 for yes/no questions), and the final state: status (已上报/已派遣/
已结案/已回访 or reported/dispatched/closed/done), lead_unit, co_units, dispatched_at, accepted_at,
handled_at, result, closed_at, satisfaction, callback_at, callback_resolved. A column missing from
the file is an error before any row is read. `"defaults": {field: value}` fills fields without a
column (e.g. {"channel": "hotline_12345"}).

All or nothing: one bad row and nothing is imported, unless --skip-bad-rows, which imports the good
rows. Either way the rejected rows are written to the report (CSV: row number, field, reason) and
summarised. CSV encoding is detected (UTF-8 with or without BOM, GBK/GB18030) unless --encoding.
The rows of a large file are checked by two worker processes on a machine with two cores or more
(--workers 0: in the importing process); the writing stays in the importing process.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.events.bulk import DEFAULT_BATCH, ImportFile, SourceError, import_file, read_mapping


class Command(BaseCommand):
    help = _("导入历史事件（CSV/XLSX），经完整受理流程；默认全部成功才导入")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件"))
        parser.add_argument("--mapping", required=True, help=_("字段映射 JSON 文件"))
        parser.add_argument("--skip-bad-rows", action="store_true", help=_("跳过有错误的行，导入其余行"))
        parser.add_argument("--report", help=_("被拒绝行的报告（CSV），默认与源文件同目录"))
        parser.add_argument(
            "--encoding", default="auto", help=_("CSV 文件编码：auto（默认）、utf-8、gb18030")
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=_("每批写入的事件数"))
        parser.add_argument("--progress", action="store_true", help=_("每批导入后输出进度"))
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=_("检查数据的子进程数；默认：双核以上且文件较大时为 2，否则为 0（在本进程检查）"),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size 必须是正整数"))
        if options["workers"] is not None and options["workers"] < 0:
            raise CommandError(_("--workers 不能是负数"))
        progress = None
        if options["progress"]:

            def progress(line, report):
                sys.stderr.write(
                    _("已处理到第 %(line)d 行，导入 %(ok)d 条") % {"line": line, "ok": report.imported}
                )
                sys.stderr.write("\n")

        try:
            mapping, defaults = read_mapping(Path(options["mapping"]))
            source = ImportFile(path, mapping, defaults, encoding=options["encoding"])
            report = import_file(
                source,
                skip_bad_rows=options["skip_bad_rows"],
                batch_size=options["batch_size"],
                progress=progress,
                workers=options["workers"],
            )
        except SourceError as exc:
            raise CommandError(str(exc.message)) from None
        except LookupError:
            raise CommandError(_("未知的编码：%(encoding)s") % {"encoding": options["encoding"]}) from None
        report_path = Path(options["report"] or path.with_suffix(".rejected.csv"))
        rejected = report.rejected
        if rejected:
            with report_path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([_("行号"), _("字段"), _("原因")])
                writer.writerows((line, name, message) for line, name, message, _code in rejected)
        summary = _("导入 %(ok)d 条，拒绝 %(bad)d 条") % {"ok": report.imported, "bad": len(rejected)}
        if report.repeated:
            summary += _("；%(n)d 条的幂等键已导入过，未重复导入") % {"n": len(report.repeated)}
        if rejected:
            summary += _("；拒绝原因见 %(path)s") % {"path": report_path}
        if rejected and not options["skip_bad_rows"]:
            raise CommandError(_("有错误行，未导入任何数据（可用 --skip-bad-rows 跳过）。") + summary)
        self.stdout.write(summary)
