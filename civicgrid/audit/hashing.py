"""Digests for the audit chain. SM3 (GB/T 32905) is what 密评 expects; the algorithm's name is stored
beside each digest so it can change. SHA-256 is used only where OpenSSL lacks SM3."""

import hashlib
import json

GENESIS = "0" * 64


def default_algorithm() -> str:
    try:
        hashlib.new("sm3")
    except ValueError:  # pragma: no cover - OpenSSL without SM3
        return "sha256"
    return "sm3"


def digest(alg: str, prev_hash: str, payload: dict) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    h = hashlib.new(alg)
    h.update(prev_hash.encode("ascii"))
    h.update(canonical.encode("utf-8"))
    return h.hexdigest()
