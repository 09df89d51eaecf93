"""The digest of an ID number or credit code that finds "the same person" across cases
(`CaseParty.id_digest`) without storing or comparing the numbers themselves."""

from __future__ import annotations

import hashlib

from civicgrid.audit.hashing import default_algorithm


def person_digest(number: str, alg: str | None = None) -> str:
    """The SM3 digest (hex) of a normalised ID number or credit code: equal numbers, equal digests."""
    h = hashlib.new(alg or default_algorithm())
    h.update(number.strip().upper().encode("ascii"))
    return h.hexdigest()
