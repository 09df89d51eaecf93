"""Stable machine codes for the errors the events app raises. The code travels with a translated
message in `ServiceError`, so API clients and tests match on the code while people read Chinese."""

from enum import StrEnum


class TaxonomyErrorCode(StrEnum):
    REQUIRED = "required"  # an empty value where one is needed
    INVALID = "invalid"  # wrong type or shape
    INVALID_CODE = "invalid_code"  # not digits, or a 小类 code that does not start with its 大类's
    DUPLICATE_CODE = "duplicate_code"
    UNKNOWN_PARENT = "unknown_parent"
    TOO_DEEP = "too_deep"  # a 小类 under a 小类: the taxonomy has two levels
    INVALID_LIMIT = "invalid_limit"  # amount not a positive integer, or an unknown unit
    INVALID_QUESTION = "invalid_question"  # required_fields does not follow the question schema
    INVALID_KEYWORD = "invalid_keyword"
    INVALID_CHOICE = "invalid_choice"  # priority, emergency service …
    UNKNOWN_FIELD = "unknown_field"  # an update names a field that cannot be changed
    NOT_PERMITTED = "not_permitted"  # the actor holds no grant for this write
    IN_USE = "in_use"  # other records still point at it
    HAS_CHILDREN = "has_children"  # a 大类 with active 小类 cannot be deactivated
    UNIT_INACTIVE = "unit_inactive"
    UNIT_OUT_OF_AREA = "unit_out_of_area"  # a unit of another branch of the area tree
    LEAD_IS_CO_HANDLER = "lead_is_co_handler"
    DUPLICATE_RULE = "duplicate_rule"  # an active rule for the same category and area exists
    INACTIVE_TARGET = "inactive_target"  # a rule for an inactive category or area
    INVALID_FILE = "invalid_file"  # a taxonomy file that is not JSON of the expected shape


class EventErrorCode(StrEnum):
    """Error codes of event intake and the event workflow."""

    UNKNOWN_CATEGORY = "unknown_category"
    INVALID_CHANNEL = "invalid_channel"
    REQUIRED = "required"
    INVALID_ANSWER = "invalid_answer"
    MISSING_LOCATION = "missing_location"
    UNLOCATED = "unlocated"
    UNKNOWN_AREA = "unknown_area"
    PHOTO_TOO_LARGE = "photo_too_large"
    NOT_AN_IMAGE = "not_an_image"
    IDEMPOTENCY_KEY_TAKEN = "idempotency_key_taken"
    NOT_AN_EVENT = "not_an_event"
    INVALID_MERGE = "invalid_merge"
    OBJECTION_WINDOW_PASSED = "objection_window_passed"
    INVALID_SATISFACTION = "invalid_satisfaction"
    EVIDENCE_REQUIRED = "evidence_required"
    INVALID_PHOTO = "invalid_photo"
