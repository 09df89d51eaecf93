"""Services (the taxonomy as Open311 sees it) and their definitions.

A service is a category a member of the public may report: the classes the citizen page offers
(active 小类, not internal, not emergencies: those go to 110/119/120/122 at once, never through an
app). `service_code` is the category code, `group` its 大类, `keywords` its classifier keywords.
A category's typed questions are the service definition's attributes:

| question type | datatype        | values                    |
|---------------|-----------------|---------------------------|
| text          | string          |                           |
| longtext      | text            |                           |
| number        | number          |                           |
| date, datetime| datetime        |                           |
| choice        | singlevaluelist | one per choice (key = the choice) |
| bool          | singlevaluelist | true 是 / false 否        |
| multichoice   | multivaluelist  | one per choice            |
| photo         | string, variable=false: "attach a photo as media" (answered by the upload) |
"""

from __future__ import annotations

from django.db.models import Max
from django.utils.translation import gettext as _

from civicgrid.events.citizen_services import public_categories
from civicgrid.events.models import Category
from civicgrid.events.models.taxonomy import QuestionType

from .errors import Open311Error
from .settings import open311_setting

DATATYPES = {
    QuestionType.TEXT: "string",
    QuestionType.LONG_TEXT: "text",
    QuestionType.NUMBER: "number",
    QuestionType.DATE: "datetime",
    QuestionType.DATETIME: "datetime",
    QuestionType.CHOICE: "singlevaluelist",
    QuestionType.BOOL: "singlevaluelist",
    QuestionType.MULTI_CHOICE: "multivaluelist",
    QuestionType.PHOTO: "string",
}


def service_type() -> str:
    return "batch" if open311_setting("BATCH") else "realtime"


def services() -> list[Category]:
    return public_categories()


def find_service(code) -> Category:
    """The service with this code: 400 when none is given, 404 when it is not offered."""
    code = (code or "").strip()
    if not code:
        raise Open311Error(400, _("service_code：缺少服务代码"), "missing_service_code")
    for category in services():
        if category.code == code:
            return category
    raise Open311Error(404, _("service_code：服务代码“%(code)s”不存在") % {"code": code}, "unknown_service")


def changeset():
    """When the services last changed: the newest change to any category (a category is never
    deleted, only deactivated, so every change moves this time)."""
    return Category.objects.aggregate(at=Max("updated_at"))["at"]


def service_row(category: Category) -> dict:
    keywords = [k.get("word", "") if isinstance(k, dict) else str(k) for k in category.keywords or ()]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": bool(category.required_fields),
        "type": service_type(),
        "keywords": ",".join(w for w in keywords if w) or None,
        "group": category.parent.name if category.parent_id else category.name,
    }


def _values(question: dict) -> list[dict]:
    if question["type"] == QuestionType.BOOL:
        return [{"key": "true", "name": str(_("是"))}, {"key": "false", "name": str(_("否"))}]
    return [{"key": choice, "name": choice} for choice in question.get("choices", ())]


def _datatype_description(question: dict) -> str | None:
    qtype = question["type"]
    if qtype == QuestionType.DATE:
        return str(_("日期，格式 YYYY-MM-DD"))
    if qtype == QuestionType.DATETIME:
        return str(_("日期时间，ISO 8601 格式，如 2026-11-28T09:30:00+08:00"))
    if qtype == QuestionType.TEXT:
        return str(_("不超过 500 字"))
    if qtype == QuestionType.LONG_TEXT:
        return str(_("不超过 4000 字，可换行"))
    if qtype == QuestionType.NUMBER:
        return str(_("数字"))
    if qtype == QuestionType.PHOTO:
        return str(_("请以 multipart 的 media 参数上传照片"))
    return None


def definition(category: Category) -> dict:
    attributes = []
    for order, question in enumerate(category.required_fields or (), start=1):
        photo = question["type"] == QuestionType.PHOTO
        row = {
            "variable": not photo,
            "code": question["key"],
            "datatype": DATATYPES.get(question["type"], "string"),
            "required": bool(question.get("required")) and not photo,
            "datatype_description": _datatype_description(question),
            "order": order,
            "description": question.get("help") or question["label"],
        }
        if row["datatype"] in ("singlevaluelist", "multivaluelist"):
            row["values"] = _values(question)
        attributes.append(row)
    return {"service_code": category.code, "attributes": attributes}


def attribute_answers(category: Category, attributes: dict[str, list[str]]) -> dict:
    """The attribute values as intake answers: a list for a multivaluelist, one value otherwise. An
    unknown code or several values for a one-value attribute is a 400 naming attribute[code]; the
    values themselves and the required questions are checked by intake (`clean_answers`), whose
    errors name attribute[code] too (`services.open311_field`). A required photo question is
    answered only by an uploaded media file: a media_url is kept as a link, never fetched (the
    platform makes no outside calls)."""
    questions = {q["key"]: q for q in category.required_fields or ()}
    answers = {}
    for code, values in attributes.items():
        question = questions.get(code)
        where = f"attribute[{code}]"
        if question is None or question["type"] == QuestionType.PHOTO:
            raise Open311Error(
                400,
                _("%(where)s：服务“%(service)s”没有这个属性") % {"where": where, "service": category.code},
                "unknown_attribute",
            )
        multiple = question["type"] == QuestionType.MULTI_CHOICE
        if len(values) > 1 and not multiple:
            raise Open311Error(
                400, _("%(where)s：该属性只能有一个值") % {"where": where}, "malformed_attribute"
            )
        answers[code] = values if multiple else values[0]
    return answers
