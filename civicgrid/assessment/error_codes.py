"""Stable error codes of the assessment services (machines read these; people read the message)."""

from __future__ import annotations


class AssessmentErrorCode:
    NOT_PERMITTED = "not_permitted"
    INVALID = "invalid"
    INVALID_PERIOD = "invalid_period"
    INVALID_WEIGHT = "invalid_weight"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_REASON = "invalid_reason"
    INVALID_FIGURE = "invalid_figure"
    NO_SCHEME = "no_scheme"
    ALREADY_EXCLUDED = "already_excluded"
    NOT_PENDING = "not_pending"
    SELF_APPROVAL = "self_approval"
    NOT_AN_EVENT = "not_an_event"
