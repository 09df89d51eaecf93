"""Errors raised by services: a stable code for machines, a translated message for people, and the
field it concerns (None for the object as a whole). Views and the API turn them into 400 responses
naming the field; they never become a 500."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, message, field: str | None = None, params: dict | None = None):
        self.code = code
        self.message = message
        self.field = field
        self.params = params or {}
        super().__init__(str(message))

    def as_dict(self) -> dict:
        """{"<field>": ["<message>"], "error_code": "<code>"}: the shape of DRF's field errors, with
        the machine-readable code under a key no model field uses."""
        key = self.field or "non_field_errors"
        return {key: [str(self.message)], "error_code": self.code}


class NotPermitted(ServiceError):
    """The actor lacks the permission for this action on this object."""
