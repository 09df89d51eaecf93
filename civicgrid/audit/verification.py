"""Walk a hash chain and report every row that does not fit: edited (digest mismatch), inserted or
deleted (broken link), or missing from the end (head mismatch)."""

from __future__ import annotations

from dataclasses import dataclass

from .hashing import GENESIS, digest
from .models import AccessLog, ChainHead, ObjectChange
from .services import row_payload


@dataclass
class Problem:
    chain: str
    row_id: int | None
    kind: str  # "edited", "broken_link", "head_mismatch"
    detail: str


def verify_chain(model, batch_size: int = 2000) -> tuple[int, list[Problem]]:
    problems: list[Problem] = []
    prev = GENESIS
    count = 0
    last_id = 0
    for row in model.objects.order_by("id").iterator(chunk_size=batch_size):
        count += 1
        if row.prev_hash != prev:
            problems.append(
                Problem(
                    model.CHAIN,
                    row.pk,
                    "broken_link",
                    f"row {row.pk} links to {row.prev_hash[:12]}…, expected {prev[:12]}…",
                )
            )
        if digest(row.hash_alg, row.prev_hash, row_payload(row)) != row.hash:
            problems.append(
                Problem(model.CHAIN, row.pk, "edited", f"row {row.pk} content does not match its digest")
            )
        prev = row.hash
        last_id = row.pk
    head = ChainHead.objects.filter(name=model.CHAIN).first()
    expected = (head.last_hash, head.count, head.last_id) if head else (GENESIS, 0, 0)
    if (prev, count, last_id) != expected:
        problems.append(
            Problem(
                model.CHAIN,
                None,
                "head_mismatch",
                f"chain ends at row {last_id} ({count} rows); head says row {expected[2]} "
                f"({expected[1]} rows)",
            )
        )
    return count, problems


def verify_all() -> dict[str, tuple[int, list[Problem]]]:
    return {m.CHAIN: verify_chain(m) for m in (ObjectChange, AccessLog)}
