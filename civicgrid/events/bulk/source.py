"""Reading an event import file: CSV (encoding detected) or XLSX (openpyxl, read-only streaming), and
the field mapping. Rows are streamed, never held all at once: `ImportFile.rows()` yields
(line number, {field: value}) one row at a time, so a file of a million events reads in bounded
memory. See docs/bulk-import.md for the fields.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from civicgrid.core.encodings import declared_encoding, guess_encoding, read_sample
from civicgrid.core.errors import ServiceError

# The fields a mapping may name. The first group is what intake takes (`intake.report_event`); the
# second is the final state a historical case may carry (see docs/bulk-import.md).
INTAKE_FIELDS = (
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
STATE_FIELDS = (
    "status",
    "lead_unit",
    "co_units",
    "dispatched_at",
    "accepted_at",
    "handled_at",
    "result",
    "closed_at",
    "satisfaction",
    "callback_at",
    "callback_resolved",
)
FIELDS = INTAKE_FIELDS + STATE_FIELDS
ENCODINGS = ("auto", "utf-8", "gb18030", "gbk")
SAMPLE_BYTES = 64 * 1024


class SourceError(ServiceError):
    """The file or the mapping cannot be read at all (nothing is imported)."""


def read_mapping(path: Path) -> tuple[dict, dict]:
    """The mapping {field: column header} and the defaults {field: value} from a JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError("invalid_mapping", _("无法读取字段映射文件：%(error)s") % {"error": exc}) from None
    return check_mapping(data)


def check_mapping(data) -> tuple[dict, dict]:
    if not isinstance(data, dict):
        raise SourceError("invalid_mapping", _("字段映射必须是 JSON 对象"))
    data = dict(data)
    defaults = data.pop("defaults", {}) or {}
    if not isinstance(defaults, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SourceError("invalid_mapping", _("字段映射必须是 JSON 对象"))
    unknown = sorted(k for k in (set(data) | set(defaults)) - set(FIELDS) if not k.startswith("answers."))
    if unknown:
        raise SourceError(
            "unknown_field", _("字段映射含未知字段：%(fields)s") % {"fields": "、".join(unknown)}
        )
    if "title" not in data and "title" not in defaults:
        raise SourceError("invalid_mapping", _("字段映射必须给出 title（标题）所在的列"))
    return data, defaults


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The codec to read `path` with (`civicgrid.core.encodings`, on the first 64 KiB)."""
    sample, truncated = read_sample(path, SAMPLE_BYTES)
    encoding = declared_encoding(declared) or guess_encoding(sample, truncated=truncated)
    if encoding is None:
        raise SourceError("unknown_encoding", _("无法识别文件编码，请用 --encoding 指定（utf-8 或 gb18030）"))
    return encoding


def _cell(value):
    """An XLSX cell as intake reads it: text stripped, whole numbers without ".0" (a phone number
    typed as a number), times kept as datetimes, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        return str(int(value))
    if isinstance(value, bool | dt.datetime | dt.date | int | float):
        return value
    return str(value)


class ImportFile:
    """One CSV or XLSX file with its mapping. `header` is read at once (a mapped column missing from
    the file is an error before any row is read); `rows()` streams the rows (line 1 is the header,
    so the first row is line 2), each as {field: value} with the defaults filled in."""

    def __init__(self, path: Path, mapping: dict, defaults: dict | None = None, encoding: str = "auto"):
        self.path = Path(path)
        self.mapping = mapping
        self.defaults = defaults or {}
        self.is_xlsx = self.path.suffix.lower() in (".xlsx", ".xlsm")
        if encoding not in ENCODINGS and encoding.lower() not in ENCODINGS:
            codecs.lookup(encoding)  # LookupError for a codec Python does not know
        self.encoding = None if self.is_xlsx else detect_encoding(self.path, encoding)
        self.header = self._read_header()
        missing = sorted(column for column in mapping.values() if column not in self.header)
        if missing:
            raise SourceError(
                "missing_column", _("文件中没有这些列：%(columns)s") % {"columns": "、".join(missing)}
            )
        self._positions = [(field, self.header.index(column)) for field, column in mapping.items()]

    def _read_header(self) -> list[str]:
        for header in self._raw():
            return [str(h if h is not None else "").strip().lstrip("\ufeff") for h in header]
        raise SourceError("empty_file", _("文件为空"))

    def _raw(self) -> Iterator[list]:
        if self.is_xlsx:
            import openpyxl

            try:
                book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many kinds for a damaged file
                raise SourceError(
                    "invalid_file", _("无法读取 XLSX 文件：%(error)s") % {"error": exc}
                ) from None
            try:
                for row in book.active.iter_rows(values_only=True):
                    yield [_cell(v) for v in row]
            finally:
                book.close()
            return
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                yield from csv.reader(handle)
        except UnicodeDecodeError as exc:
            raise SourceError(
                "unknown_encoding",
                _("文件不是 %(encoding)s 编码（%(error)s），请用 --encoding 指定")
                % {"encoding": self.encoding, "error": exc.reason},
            ) from None

    def rows(self) -> Iterator[tuple[int, dict]]:
        values = self.values
        for number, cells in self.raw_rows():
            yield number, values(cells)

    def raw_rows(self) -> Iterator[tuple[int, list]]:
        """(line number, cells) of the non-blank rows: what a checking worker process receives
        (it makes the {field: value} itself with `values`)."""
        raw = self._raw()
        next(raw, None)
        if not self.is_xlsx:  # CSV cells are text: a row is blank when every cell is ""
            for number, cells in enumerate(raw, start=2):
                if any(cells):
                    yield number, cells
            return
        for number, cells in enumerate(raw, start=2):
            if any(c not in ("", None) for c in cells):
                yield number, cells  # blank lines (and trailing empty XLSX rows) are not rows

    def values(self, cells: list) -> dict:
        """One row's {field: value}, the defaults filled in where the cell is empty."""
        values = dict(self.defaults)
        width = len(cells)
        for field, position in self._positions:
            value = cells[position] if position < width else ""
            if isinstance(value, str):
                value = value.strip()
            if value != "" or field not in values:
                values[field] = value
        return values
