"""Error codes of the text layer (the `error_code` of an API 400)."""

from enum import StrEnum


class TextErrorCode(StrEnum):
    EMPTY_TEXT = "empty_text"
    NOT_CHINESE = "not_chinese"
    UNKNOWN_SOURCE = "unknown_source"
    BAD_CSV = "bad_csv"
    MISSING_COLUMN = "missing_column"
    TOO_FEW_EXAMPLES = "too_few_examples"
    MODEL_FILE = "model_file"
    INVALID_THRESHOLD = "invalid_threshold"
    NOT_PERMITTED = "not_permitted"
