"""Answers to a category's typed questions (`Category.required_fields`): one checker for every
channel (staff forms, the grid worker's phone, the API, the citizen page, Open311, the import).

Each answer is checked against its question's type and stored in a plain JSON form:
bool → true/false; number → int or float; choice → one of the choices; multichoice → a list of
distinct choices in the question's order; date → "YYYY-MM-DD"; datetime → ISO 8601 with the
offset (a time without one is read in the platform's time zone); text → ≤ 500 characters;
longtext → ≤ 4,000 characters. Errors name the question's field ("answers.<key>").
"""

from __future__ import annotations

import math

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError

from .error_codes import EventErrorCode
from .models.taxonomy import QuestionType

TEXT_MAX = 500
LONG_TEXT_MAX = 4000


def clean_answer(question: dict, value, where: str):
    """The stored form of one answer, or a ServiceError naming `where`."""
    qtype, label = question["type"], question["label"]

    def bad(message, **params):
        return ServiceError(EventErrorCode.INVALID_ANSWER, message % {"label": label, **params}, field=where)

    if qtype == QuestionType.BOOL:
        if isinstance(value, bool):
            return value
        if value in ("true", "false", "1", "0", "是", "否"):
            return value in ("true", "1", "是")
        raise bad(_("“%(label)s”应为是或否"))
    if qtype == QuestionType.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad(_("“%(label)s”应为数字")) from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise bad(_("“%(label)s”应为数字"))
        return int(number) if number.is_integer() else number
    if qtype == QuestionType.CHOICE:
        if value not in question.get("choices", ()):
            raise bad(_("“%(label)s”不是可选项之一"))
        return value
    if qtype == QuestionType.MULTI_CHOICE:
        return _clean_choices(question, value, bad)
    if qtype == QuestionType.DATE:
        if not isinstance(value, str) or parse_date(value) is None:
            raise bad(_("“%(label)s”应为日期（YYYY-MM-DD）"))
        return value
    if qtype == QuestionType.DATETIME:
        return _clean_datetime(value, bad)
    limit = LONG_TEXT_MAX if qtype == QuestionType.LONG_TEXT else TEXT_MAX
    if not isinstance(value, str) or len(value) > limit:
        raise bad(_("“%(label)s”应为不超过 %(max)s 字的文本"), max=limit)
    return value.strip()


def _clean_choices(question: dict, value, bad) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise bad(_("“%(label)s”应为选项列表"))
    choices = list(question.get("choices", ()))
    picked = {v.strip() for v in value if v.strip()}
    unknown = picked.difference(choices)
    if unknown:
        raise bad(_("“%(label)s”含有不在列表中的选项：%(values)s"), values="、".join(sorted(unknown)))
    return [c for c in choices if c in picked]


def _clean_datetime(value, bad) -> str:
    try:
        moment = parse_datetime(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise bad(_("“%(label)s”应为日期时间（YYYY-MM-DDTHH:MM，可带时区）"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).isoformat(timespec="seconds")
