"""Stable machine codes for the errors the case kernel raises (`ServiceError.code`)."""

from enum import StrEnum


class CaseErrorCode(StrEnum):
    NOT_FOUND = "not_found"  # missing or out of reach: the same answer (404-like)
    CONFLICT = "conflict"  # stale expected_version: someone changed the case meanwhile
    UNKNOWN_KIND = "unknown_kind"
    NOTE_REQUIRED = "note_required"
    CASE_CLOSED = "case_closed"  # urge/supervise/escalate/extension on a closed case
    INVALID_SUPERVISION = "invalid_supervision"
    SUPERVISION_UNCHANGED = "supervision_unchanged"
    TOP_LEVEL = "top_level"  # escalation above the city
    NO_UNIT = "no_unit"  # dispatch without a lead unit
    UNIT_TWICE = "unit_twice"  # the same unit listed twice in one dispatch
    INACTIVE_UNIT = "inactive_unit"
    NO_ASSIGNMENT = "no_assignment"  # the actor's unit holds no live assignment
    DESIGNATED = "designated"  # a designated unit cannot object to / return the case
    NO_CLOCK = "no_clock"  # no running clock of that name
    EXTENSION_PENDING = "extension_pending"
    NO_EXTENSION_REQUEST = "no_extension_request"
    INVALID_TITLE = "invalid_title"
    INVALID_LOCATION = "invalid_location"
    INVALID_PARTY = "invalid_party"  # a party's name, kind, role, ID number, phone … (cases.parties)
    ABOVE_LEVEL = "above_level"  # dispatching a case escalated above the centre's level
