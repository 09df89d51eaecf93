"""Errors of the Open311 interface: an HTTP status (400, 403, 404, 429 as the spec and RFC 6585 use
them) and a description in the caller's language that names the parameter at fault."""

from __future__ import annotations


class Open311Error(Exception):
    def __init__(self, status: int, description, code: str = ""):
        self.status = status
        self.description = str(description)
        self.code = code
        super().__init__(self.description)
