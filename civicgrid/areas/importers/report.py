"""What an import did, row by row: counts, rejected rows with reasons, and the batch audit rows.

Every import prints the same four counts (新增 accepted, 更新 updated, 未变 unchanged, 拒绝 rejected) and
every rejected row with its row number and a Chinese reason; `--report FILE.csv` writes the rejected
rows to a CSV that opens in a Chinese Excel (UTF-8 with BOM).

Bulk imports write one audit row per batch of rows instead of one per row (a 25,000-row village file
would otherwise append 25,000 links to the hash chain one at a time). Each batch row still names every
code it created and, for every update, the fields' values before and after, so an auditor can answer
"who created or renamed this village, when, from which file" by searching the batch rows, whose
`object_id` is "import:<run>#<batch>" and whose `after` carries the file name and SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_bulk_change
from civicgrid.core.errors import ServiceError


class ImportAborted(Exception):
    """The file as a whole cannot be imported (empty, unreadable, wrong columns); nothing was written."""

    def __init__(self, code: str, message):
        self.code = code
        self.message = message
        super().__init__(str(message))


@dataclass
class RowError:
    row: int  # 1-based data row (CSV: line number including the header; GeoJSON: feature number)
    code: str  # the division or grid code as read ("" when missing)
    error_code: str  # AreaErrorCode value
    reason: str  # translated message


@dataclass
class ImportReport:
    """Counts and rejected rows of one import run."""

    source: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    repaired: list[int] = field(default_factory=list)  # numbers of features mended by --repair
    row_label: str = ""  # "行" for CSV, "个要素" for GeoJSON

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def reject(self, row: int, code: str, error: ServiceError | ImportAborted | Exception, error_code=None):
        message = getattr(error, "message", None) or str(error)
        code_value = error_code or getattr(error, "code", "") or "invalid"
        self.errors.append(
            RowError(row=row, code=code or "", error_code=str(code_value), reason=str(message))
        )

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row, e.error_code))

    def summary(self) -> str:
        return _("新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d，拒绝 %(rejected)d") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def error_lines(self) -> list[str]:
        label = self.row_label or _("行")
        return [
            _("第 %(row)d %(label)s（%(code)s）：%(reason)s")
            % {"row": e.row, "label": label, "code": e.code or "—", "reason": e.reason}
            for e in self.sorted_errors()
        ]

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([_("行号"), _("代码"), _("错误代码"), _("原因")])
            for e in self.sorted_errors():
                writer.writerow([e.row, e.code, e.error_code, e.reason])


def boundary_digest(value) -> dict | None:
    """A geometry as the audit log keeps it: its SHA-256 and size (as audit.services does for
    snapshots), so batch rows stay readable and still prove which polygon was written."""
    if not value:
        return None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text)}


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class BatchAudit:
    """Writes the audit rows of one import run: one per written batch, inside the import's transaction
    (so a rolled-back import leaves no audit row either)."""

    def __init__(self, *, actor, model, source: str, sha256: str):
        self.actor = actor
        self.model = model
        self.source = source
        self.sha256 = sha256
        self.run = uuid.uuid4().hex[:12]
        self.batches = 0

    def record(self, *, created: list[dict], updated: list[dict]) -> None:
        """`created`: snapshots of new rows; `updated`: {"code", "before", "after"} of changed fields."""
        if not created and not updated:
            return
        self.batches += 1
        description = _("批量导入 %(file)s 第 %(n)d 批：新增 %(c)d，更新 %(u)d") % {
            "file": self.source,
            "n": self.batches,
            "c": len(created),
            "u": len(updated),
        }
        after = {
            "import": {"file": self.source, "sha256": self.sha256, "run": self.run, "batch": self.batches},
            "created": created,
            "updated": updated,
        }
        action = ChangeAction.CREATE if created else ChangeAction.UPDATE
        record_bulk_change(
            actor=self.actor,
            action=action,
            model=self.model,
            batch_id=f"import:{self.run}#{self.batches}",
            description=description,
            before=None,
            after=after,
        )


def print_report(command, report, options) -> None:
    """What the import commands print: every rejected row, the counts, the optional CSV report, and a
    non-zero exit when rejected rows kept the file from being written."""
    for line in report.error_lines():
        command.stderr.write(line)
    if options.get("report"):
        report.write_csv(options["report"])
        command.stdout.write(_("错误报告已写入 %(path)s") % {"path": options["report"]})
    command.stdout.write(report.summary())
    if report.repaired:
        command.stdout.write(
            _("已修复无效多边形的要素：%(rows)s") % {"rows": "、".join(str(n) for n in report.repaired[:50])}
        )
    if options.get("dry_run"):
        command.stdout.write(_("仅校验，未写入任何数据"))
        return
    if report.errors and not report.committed:
        raise CommandError(
            _("有 %(n)d 行被拒绝，未写入任何数据；改正后重新导入，或使用 --skip-bad-rows 只导入正确的行")
            % {"n": report.rejected}
        )
