"""Masking of personal data (个人信息脱敏): names, phone numbers and ID-card numbers are shown masked
unless the viewer's role holds the reveal permission; every reveal is logged by `audit`.

The masks follow common practice in Chinese government systems: 138****1234, 110101********1234,
张*/欧阳** (the surname stays).
"""

from __future__ import annotations

import re

REVEAL_PERMISSION = "audit.reveal_personal_data"

_PHONE_DIGITS = re.compile(r"\d")


def mask_phone(value: str | None) -> str:
    """138****1234 for mobiles; landlines keep the area code and the last 4 digits."""
    if not value:
        return ""
    digits = "".join(_PHONE_DIGITS.findall(value))
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 3 if len(digits) > 7 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_id_card(value: str | None) -> str:
    """Resident ID (18 chars): the 6-digit region and the last 4 stay: 110101********123X."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳** (two-character compound surnames kept), Latin names → J***."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 1:
        return "*"
    keep = 2 if len(value) >= 4 and _is_cjk(value) else 1
    return value[:keep] + "*" * (len(value) - keep)


def _is_cjk(value: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in value)


MASKERS = {"name": mask_name, "phone": mask_phone, "id_card": mask_id_card}


def can_reveal(user, path: str | None) -> bool:
    """True when the user holds the reveal permission in an area covering `path`."""
    from .scope import path_in_scope

    return path_in_scope(user, REVEAL_PERMISSION, path)
