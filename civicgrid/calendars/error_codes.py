"""Stable machine codes for the errors that calendar services and commands raise."""

from enum import StrEnum


class CalendarErrorCode(StrEnum):
    INVALID_YEAR = "invalid_year"  # not an integer in 1949–2100
    INVALID_SOURCE = "invalid_source"  # empty or too long
    EMPTY_SCHEDULE = "empty_schedule"  # no day at all
    INVALID_DATE = "invalid_date"  # not a YYYY-MM-DD date
    DATE_OUTSIDE_YEAR = "date_outside_year"
    DUPLICATE_DATE = "duplicate_date"
    INVALID_KIND = "invalid_kind"
    WORKDAY_ON_WEEKDAY = "workday_on_weekday"  # a make-up workday must fall on a weekend
    EMPTY_NAME = "empty_name"
    NAME_TOO_LONG = "name_too_long"
    NOTE_TOO_LONG = "note_too_long"
    SCHEDULE_REJECTED = "schedule_rejected"  # summary error carrying every rejected row
    # whole-file problems of enter_holidays
    EMPTY_FILE = "empty_file"
    MISSING_COLUMN = "missing_column"
    DECODE_ERROR = "decode_error"
