"""Stable machine codes for the errors the petitions app raises (the message is Chinese)."""

from enum import StrEnum


class PetitionErrorCode(StrEnum):
    REQUIRED = "required"  # a missing value (class, channel, petitioner …)
    INVALID_CHOICE = "invalid_choice"
    INVALID = "invalid"  # wrong type or range (people count, a time in the future …)
    NOT_A_PETITION = "not_a_petition"
    IN_PROGRESS_BELOW = "in_progress_below"  # Art.19: the same matter is being handled below
    RECHECKED = "rechecked"  # Art.36: the same matter went through 复核, no longer accepted
    OBJECTION_LATE = "objection_late"  # Art.23: objection after 5 working days
    REQUEST_LATE = "request_late"  # Art.35/36: 复查/复核 requested after 30 days
    ACCUSED_UNIT = "accused_unit"  # Art.30: never passed to the accused's unit
    NOT_DISCIPLINE_UNIT = "not_discipline_unit"  # a 检举控告 only to a unit that may see it
    NOT_RATABLE = "not_ratable"
    ALREADY_RATED = "already_rated"
    NO_DOCUMENT = "no_document"  # the document does not exist yet at this stage
