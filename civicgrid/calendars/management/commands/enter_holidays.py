"""manage.py enter_holidays FILE.csv --year 2027: enter a year's holiday schedule from a CSV file.

The file has a header row and the columns date, kind, name and optionally note (Chinese headers
日期, 类型, 名称, 备注 also work); kind is holiday/workday (or 休/班). UTF-8 (with or without BOM)
or GB18030 (Excel on Chinese Windows). All or nothing: every rejected row is reported with its line
number and field, and nothing is written unless every row is good.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.calendars.error_codes import CalendarErrorCode as E
from civicgrid.calendars.services import ScheduleRejected, do_enter_year_schedule
from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id

COLUMNS = ("date", "kind", "name", "note")
HEADER_ALIASES = {"日期": "date", "类型": "kind", "名称": "name", "备注": "note"}
REQUIRED = ("date", "kind", "name")


def read_rows(path: Path) -> list[dict]:
    """The file's data rows as dicts keyed by column name; raises ServiceError for a bad file."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise ServiceError(E.DECODE_ERROR, _("无法识别文件编码，请保存为 UTF-8"), field="file")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise ServiceError(E.EMPTY_FILE, _("文件为空"), field="file")
    names = [HEADER_ALIASES.get(cell.strip(), cell.strip().lower()) for cell in header]
    missing = [column for column in REQUIRED if column not in names]
    if missing:
        raise ServiceError(
            E.MISSING_COLUMN,
            _("缺少列：%(columns)s（需要 date,kind,name[,note]）") % {"columns": ", ".join(missing)},
            field="file",
        )
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            {name: cells[i] if i < len(cells) else "" for i, name in enumerate(names) if name in COLUMNS}
        )
    return rows


class Command(BaseCommand):
    help = _("从 CSV 文件录入某一年的放假安排（列：date,kind,name[,note]），全部正确才写入")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--year", required=True, help=_("年份，如 2027"))
        parser.add_argument("--source", default="", help=_("来源（如通知文号）；默认为文件名"))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        source = options["source"] or _("文件导入：%(name)s") % {"name": path.name}
        try:
            rows = read_rows(path)
            with bind_request_id():
                entry = do_enter_year_schedule(actor=None, year=options["year"], days=rows, source=source)
        except ScheduleRejected as exc:
            for problem in exc.problems:
                # Line numbers count the header: data row 1 is line 2 of the file.
                where = _("第 %(line)d 行") % {"line": problem.row + 1} if problem.row else _("文件")
                self.stderr.write(f"{where} [{problem.field}] {problem.message}")
            raise CommandError(_("%(count)d 处错误，未写入任何数据") % {"count": len(exc.problems)}) from None
        except ServiceError as exc:
            raise CommandError(f"[{exc.field or 'file'}] {exc.message}") from None
        self.stdout.write(
            _("已录入 %(year)d 年放假安排：%(n)d 天（来源：%(source)s）")
            % {"year": entry.year, "n": len(rows), "source": entry.source}
        )
