"""Import division codes (统计用区划代码) from CSV: the engine behind `manage.py import_divisions`.

Accepted files: a header row with `code` and `name` (or 代码/区划代码 and 名称/区划名称), optionally a
parent column (`parent`, 上级代码) and an urban–rural column (`urban_rural`, 城乡分类代码); other columns
are ignored. The NBS files (provinces/cities/areas/streets/villages_*.csv) work as published: their
2/4/6/9/12-digit codes are normalised to 12 digits. UTF-8 (with or without BOM) and GBK/GB18030 are
detected; `encoding` forces one.

Two passes over the file, so memory grows with the number of codes (a few dozen bytes each), never with
the file: pass 1 validates every row (structure, empty names, duplicates within the file, a parent
column that contradicts the code) and remembers each valid code's row; then parents are resolved level
by level — a parent may be in the database or anywhere in the same file, so a child listed before its
parent is fine, and a row whose parent row was rejected is rejected too. A cycle cannot be built: a
code's parent is its own code with the last part zeroed, so every parent is strictly shorter.
Pass 2 writes level by level in batches (bulk_create / bulk_update), inside one transaction: if any
row was rejected and `skip_bad_rows` is false, nothing is written at all. Re-running the same file
writes nothing and reports every row as unchanged.

Audit: one ObjectChange row per batch (see report.py) naming every created code and every changed
field's before/after, the file name and its SHA-256 — the per-row hash-chain append would dominate the
import time, and the batch row still answers "who created or renamed this code, when, from which file".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.core.encodings import declared_encoding, guess_encoding, read_sample
from civicgrid.core.errors import ServiceError

from .. import codes, services
from ..choices import LEVEL_ORDER, AreaLevel
from ..error_codes import AreaErrorCode as E
from ..models import Area, AreaCodeChange
from .report import BatchAudit, ImportAborted, ImportReport, file_sha256

BATCH_SIZE = 1000
SAMPLE_BYTES = 256 * 1024
COLUMNS = {
    "code": ("code", "代码", "区划代码", "统计用区划代码"),
    "name": ("name", "名称", "区划名称"),
    "parent": ("parent", "parent_code", "上级代码", "上级区划代码"),
    "urban_rural": ("urban_rural", "城乡分类代码", "城乡分类"),
}
ENCODINGS = ("auto", "utf-8", "gb18030", "gbk")


def detect_encoding(path: str | Path, declared: str = "auto") -> str:
    """The codec to read `path` with (`civicgrid.core.encodings`); an empty file or one whose
    encoding nothing fits aborts the import."""
    sample, truncated = read_sample(path, SAMPLE_BYTES)
    if not sample.strip():
        raise ImportAborted(E.EMPTY_FILE, _("文件为空"))
    encoding = declared_encoding(declared) or guess_encoding(sample, truncated=truncated)
    if encoding is None:
        raise ImportAborted(
            E.UNKNOWN_ENCODING, _("无法识别文件编码，请用 --encoding 指定（utf-8 或 gb18030）")
        )
    return encoding


@dataclass(slots=True)
class DivisionRow:
    row: int
    code: str
    name: str
    urban_rural: str | None  # None: the file has no such column, leave the stored value alone


class DivisionFile:
    """Streams the rows of a division CSV as DivisionRow, raising ServiceError per bad row."""

    def __init__(self, path: str | Path, encoding: str = "auto"):
        self.path = Path(path)
        self.encoding = detect_encoding(self.path, encoding)
        self.columns = self._columns()

    def _open(self):
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by the TextIOWrapper
        return io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors="strict")

    def _columns(self) -> dict[str, int]:
        with self._open() as fh:
            try:
                header = next(csv.reader(fh), None)
            except UnicodeDecodeError:
                raise self._decode_error(1) from None
        if not header or not any(cell.strip() for cell in header):
            raise ImportAborted(E.EMPTY_FILE, _("文件为空：没有表头行"))
        names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
        found = {}
        for key, aliases in COLUMNS.items():
            for alias in aliases:
                if alias.lower() in names:
                    found[key] = names.index(alias.lower())
                    break
        missing = [key for key in ("code", "name") if key not in found]
        if missing:
            raise ImportAborted(
                E.MISSING_COLUMN,
                _("缺少必需的列：%(missing)s（表头为：%(header)s）")
                % {"missing": "、".join(missing), "header": "，".join(header)[:200]},
            )
        return found

    def _decode_error(self, row: int) -> ImportAborted:
        return ImportAborted(
            E.DECODE_ERROR,
            _("第 %(row)d 行附近的内容无法按 %(enc)s 编码读取，请用 --encoding 指定正确的编码")
            % {"row": row, "enc": self.encoding},
        )

    def rows(self) -> Iterator[DivisionRow | tuple[int, str, ServiceError]]:
        """Each data row as a DivisionRow, or (row, raw code, error) when it breaks a rule."""
        cols = self.columns
        width = max(cols.values()) + 1
        line = 1
        with self._open() as fh:
            reader = csv.reader(fh)
            try:
                next(reader, None)
                for record in reader:
                    line = reader.line_num
                    if not any(cell.strip() for cell in record):
                        continue  # blank lines are not rows
                    record = record + [""] * (width - len(record))
                    raw_code = record[cols["code"]].strip()
                    try:
                        yield self._parse(line, record, raw_code)
                    except ServiceError as exc:
                        yield (line, raw_code, exc)
            except UnicodeDecodeError:
                raise self._decode_error(line + 1) from None
            except csv.Error as exc:
                raise ImportAborted(
                    E.MALFORMED_FILE,
                    _("第 %(row)d 行 CSV 格式错误：%(error)s") % {"row": line + 1, "error": exc},
                ) from None

    def _parse(self, line: int, record: list[str], raw_code: str) -> DivisionRow:
        cols = self.columns
        code = services.clean_area_code(raw_code)
        name = services.clean_name(record[cols["name"]])
        if "parent" in cols and record[cols["parent"]].strip():
            given = codes.normalise(record[cols["parent"]])
            expected = codes.parent_code(code)
            if given != expected:
                raise ServiceError(
                    E.PARENT_MISMATCH,
                    _("上级代码 %(given)s 与代码结构不符，应为 %(expected)s")
                    % {"given": record[cols["parent"]].strip(), "expected": expected},
                    field="parent",
                )
        urban_rural = (
            services.clean_urban_rural(record[cols["urban_rural"]]) if "urban_rural" in cols else None
        )
        return DivisionRow(row=line, code=code, name=name, urban_rural=urban_rural)


def _level(code: str) -> str:
    """The level of an already validated 12-digit code (codes.level_of without re-validating it: it
    runs once per row per level, and validation dominated the import's own time)."""
    if code[2:] == "0000000000":
        return AreaLevel.PROVINCE
    if code[4:] == "00000000":
        return AreaLevel.CITY
    if code[6:] == "000000":
        return AreaLevel.COUNTY
    return AreaLevel.TOWNSHIP if code[9:] == "000" else AreaLevel.VILLAGE


def import_divisions(
    path: str | Path,
    *,
    actor=None,
    vintage: int | None = None,
    encoding: str = "auto",
    skip_bad_rows: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Validate and import a division CSV; see the module docstring. Raises ImportAborted for a file
    that cannot be read at all. The report says whether anything was committed."""
    path = Path(path)
    report = ImportReport(source=path.name, row_label=_("行"))
    source = DivisionFile(path, encoding)
    new_vintage = services.clean_vintage(vintage if vintage is not None else timezone.now().year)

    # Pass 1: every row on its own. Codes are kept as ints (row number as value) to stay small.
    rows_of: dict[int, int] = {}
    levels: set[str] = set()
    for item in source.rows():
        if isinstance(item, tuple):
            line, raw, error = item
            report.reject(line, raw, error)
            continue
        key = int(item.code)
        if key in rows_of:
            report.reject(
                item.row,
                item.code,
                ServiceError(
                    E.DUPLICATE_CODE, _("代码与第 %(row)d 行重复") % {"row": rows_of[key]}, field="code"
                ),
            )
            continue
        rows_of[key] = item.row
        levels.add(_level(item.code))
    if not rows_of and not report.errors:
        raise ImportAborted(E.EMPTY_FILE, _("文件没有数据行"))

    # Parents, top level first, so that a rejected parent rejects its children.
    _reject_orphans(rows_of, levels, report)

    if dry_run or (report.errors and not skip_bad_rows):
        return report
    if not rows_of:  # every row rejected and skipped: a successful run that writes nothing
        report.committed = True
        return report
    writer = _Writer(
        actor=actor,
        report=report,
        vintage=new_vintage,
        vintage_given=vintage is not None,
        audit=BatchAudit(actor=actor, model=Area, source=path.name, sha256=file_sha256(path)),
    )
    with transaction.atomic():
        for level in LEVEL_ORDER:
            if level not in levels:
                continue
            batch: list[DivisionRow] = []
            for item in source.rows():
                if isinstance(item, tuple) or int(item.code) not in rows_of or _level(item.code) != level:
                    continue
                if rows_of[int(item.code)] != item.row:
                    continue  # the duplicate, already reported
                batch.append(item)
                if len(batch) >= BATCH_SIZE:
                    writer.write(batch, level)
                    batch = []
            if batch:
                writer.write(batch, level)
    report.committed = True
    return report


def _reject_orphans(rows_of: dict[int, int], levels: set[str], report: ImportReport) -> None:
    """Reject rows whose parent is neither in the database nor a valid row of this file."""
    for level in LEVEL_ORDER[1:]:
        if level not in levels:
            continue
        keys = [key for key in rows_of if _level(f"{key:012d}") == level]
        parent_codes = {codes.parent_code(f"{key:012d}") for key in keys}
        missing_in_file = [p for p in parent_codes if int(p) not in rows_of]
        in_db = set()
        for start in range(0, len(missing_in_file), 900):
            chunk = missing_in_file[start : start + 900]
            in_db.update(Area.objects.filter(code__in=chunk).values_list("code", flat=True))
        rejected = {codes.normalise(e.code): e.row for e in report.errors}
        for key in keys:
            code = f"{key:012d}"
            parent = codes.parent_code(code)
            if int(parent) in rows_of or parent in in_db or level == AreaLevel.CITY:
                continue  # a city may stand at the top: the province level is optional
            if parent in rejected:
                message = _("上级区划 %(parent)s 在第 %(row)d 行被拒绝") % {
                    "parent": parent,
                    "row": rejected[parent],
                }
                error = ServiceError(E.PARENT_REJECTED, message, field="code")
            else:
                error = ServiceError(
                    E.UNKNOWN_PARENT,
                    _("上级区划 %(parent)s 不存在（数据库和本文件中都没有）") % {"parent": parent},
                    field="code",
                )
            row = rows_of.pop(key)
            report.reject(row, code, error)
            rejected[code] = row


class _Writer:
    """Writes one level's batches: creates, updates (name, urban–rural, vintage, reactivation) and
    counts unchanged rows; one audit row per batch; parents looked up by code with a cache."""

    def __init__(self, *, actor, report: ImportReport, vintage: int, vintage_given: bool, audit: BatchAudit):
        self.actor = actor
        self.report = report
        self.vintage = vintage
        self.vintage_given = vintage_given
        self.audit = audit
        self.parent_ids: dict[str, int | None] = {}

    def _parents(self, batch: list[DivisionRow]) -> None:
        wanted = {codes.parent_code(r.code) for r in batch} - set(self.parent_ids) - {None}
        if wanted:
            found = dict(Area.objects.filter(code__in=wanted).values_list("code", "pk"))
            for code in wanted:
                self.parent_ids[code] = found.get(code)

    def write(self, batch: list[DivisionRow], level: str) -> None:
        self._parents(batch)
        existing = {a.code: a for a in Area.objects.filter(code__in=[r.code for r in batch])}
        new, changed, created_log, updated_log, renames = [], [], [], [], []
        for row in batch:
            area = existing.get(row.code)
            if area is None:
                parent_code = codes.parent_code(row.code)
                area = Area(
                    code=row.code,
                    name=row.name,
                    vintage=self.vintage,
                    level=level,
                    urban_rural=row.urban_rural or "",
                    path=codes.area_path(row.code),
                    parent_id=self.parent_ids.get(parent_code) if parent_code else None,
                )
                new.append(area)
                created_log.append([row.code, row.name, area.urban_rural, self.vintage])
                continue
            before, after = {}, {}
            wanted = {"name": row.name, "is_active": True}
            if row.urban_rural is not None:
                wanted["urban_rural"] = row.urban_rural
            if self.vintage_given:
                wanted["vintage"] = self.vintage
            for field, value in wanted.items():
                if getattr(area, field) != value:
                    before[field], after[field] = getattr(area, field), value
                    setattr(area, field, value)
            if not after:
                self.report.unchanged += 1
                continue
            if "name" in after:
                renames.append(
                    AreaCodeChange(
                        area=area,
                        vintage=area.vintage,
                        old_code=area.code,
                        new_code=area.code,
                        old_name=before["name"],
                        new_name=row.name,
                    )
                )
            area.updated_at = timezone.now()
            changed.append(area)
            updated_log.append({"code": row.code, "before": before, "after": after})
        if new:
            Area.objects.bulk_create(new, batch_size=BATCH_SIZE)
        if changed:
            Area.objects.bulk_update(changed, ["name", "urban_rural", "vintage", "is_active", "updated_at"])
            AreaCodeChange.objects.bulk_create(renames)
        self.report.created += len(new)
        self.report.updated += len(changed)
        self.audit.record(created=created_log, updated=updated_log)
        for area in new:
            if area.pk is not None:  # databases that cannot return ids fall back to a query
                self.parent_ids[area.code] = area.pk
        if level == AreaLevel.PROVINCE:
            for area in new:
                services.adopt_orphan_cities(area, actor=self.actor)
