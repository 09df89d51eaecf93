"""Which codec a Chinese office's text file is in (imports of divisions, events …): UTF-8 with or
without BOM, UTF-16 with BOM, or the GB family (Excel's "CSV" on a Chinese Windows writes GBK)."""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

# Any guess from the GB family reads as GB18030, their superset.
GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "hz-gb-2312", "cp936", "ms936"}
SAMPLE_BYTES = 256 * 1024


def declared_encoding(declared: str) -> str | None:
    """The codec for an encoding the user named; None for "auto"."""
    if declared in ("auto", ""):
        return None
    return "utf-8-sig" if declared.lower().replace("_", "-") in ("utf-8", "utf8") else declared


def guess_encoding(sample: bytes, *, truncated: bool) -> str | None:
    """The codec of `sample` (the file's first bytes; `truncated` when the file goes on): a BOM
    wins, then strict UTF-8, then charset-normalizer's guess. None when nothing fits."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is not evidence against UTF-8.
        if truncated and exc.start >= len(sample) - 3:
            return "utf-8-sig"
    if truncated and b"\n" in sample:
        # Cut at the last line end: a character split by the sample's end makes every codec fail.
        sample = sample[: sample.rfind(b"\n") + 1]
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return None
    encoding = best.encoding.lower()
    return "gb18030" if encoding in GB_FAMILY else encoding


def read_sample(path: str | Path, size: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """The first `size` bytes of `path` and whether the file is longer."""
    with open(path, "rb") as fh:
        sample = fh.read(size + 1)
    return sample[:size], len(sample) > size
