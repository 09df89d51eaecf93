"""Recipient addresses: where each channel sends, and how an address is shown (masked: it is
personal data, civicgrid.core.personal_data)."""

from __future__ import annotations

from civicgrid.core.personal_data import mask_phone

from .choices import Channel


def mask_email(value: str | None) -> str:
    """zhang.san@example.cn → z***@example.cn: the first character and the domain stay."""
    if not value:
        return ""
    local, sep, domain = value.strip().partition("@")
    if not sep:
        return "*" * len(local)
    return f"{local[:1]}***@{domain}"


def mask_address(channel: str, value: str | None) -> str:
    if channel == Channel.SMS:
        return mask_phone(value)
    if channel == Channel.EMAIL:
        return mask_email(value)
    return ""


def address_of(user, channel: str) -> str:
    """The user's address on `channel`: the mobile number for SMS, the account email for email."""
    if channel == Channel.SMS:
        return (getattr(user, "phone", "") or "").strip()
    if channel == Channel.EMAIL:
        return (getattr(user, "email", "") or "").strip()
    return ""
