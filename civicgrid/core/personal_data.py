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


def mask_address(value: str | None) -> str:
    """An address keeps its first six characters (district and street, not the door):
    东湖区建设路街道幸福里 3 栋 2 单元 → 东湖区建设路****."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 6:
        return value[:2] + "****"
    return value[:6] + "****"


MASKERS = {"name": mask_name, "phone": mask_phone, "id_card": mask_id_card, "address": mask_address}

# Numbers a free text may carry: resident ID numbers (18 characters, the last may be X), mobile
# numbers (11 digits from 1[3-9], optionally written +86 / 86 / with spaces or dashes), e-mail addresses.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_text(value: str | None) -> str:
    """A free text (a description, a note) with the ID numbers, mobile numbers and e-mail addresses
    in it masked, for readers who must not see personal data (public and machine interfaces)."""
    if not value:
        return value or ""
    value = _ID_IN_TEXT.sub(lambda m: mask_id_card(m.group()), value)
    value = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), value)
    return _EMAIL_IN_TEXT.sub(lambda m: "***@" + m.group().rsplit("@", 1)[1], value)


def can_reveal(user, path: str | None) -> bool:
    """True when the user holds the reveal permission in an area covering `path`."""
    from .scope import path_in_scope

    return path_in_scope(user, REVEAL_PERMISSION, path)
