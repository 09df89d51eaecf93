"""API tokens for machine clients: "cg_<8-char prefix>_<secret>". Only an SM3 digest is stored."""

from __future__ import annotations

import hashlib
import secrets

from civicgrid.audit.hashing import default_algorithm

TOKEN_PREFIX = "cg_"  # noqa: S105 - a public marker, not a secret


def token_digest(raw: str, alg: str | None = None) -> str:
    h = hashlib.new(alg or default_algorithm())
    h.update(raw.encode("utf-8"))
    return h.hexdigest()


def generate_token() -> tuple[str, str]:
    """(raw token, display prefix)."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix
