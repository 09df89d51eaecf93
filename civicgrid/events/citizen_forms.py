"""Forms of the citizen pages: report (我要反映), follow (查询办理进度) and rate (评价).

They check shape only; the rules (public categories, phone, location in the jurisdiction, photos,
limits) are `citizen_services`' and `intake`'s, whose refusals come back as field errors. The
report form carries an offline arithmetic challenge, signed with the SECRET_KEY and valid for a
day: no external captcha service is reachable from an intranet.
"""

from __future__ import annotations

import secrets
import uuid

from django import forms
from django.core import signing
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.choices import AreaLevel
from civicgrid.areas.models import Area

from .citizen_services import public_categories
from .forms import ANSWER_PREFIX, IntakeForm, MultipleFileField
from .models import Satisfaction
from .models.taxonomy import QuestionType

CHALLENGE_SALT = "civicgrid.citizen.challenge"
CHALLENGE_MAX_AGE = 86400


def new_challenge() -> tuple[str, int, int]:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps({"a": a, "b": b, "n": secrets.token_hex(4)}, salt=CHALLENGE_SALT)
    return token, a, b


def read_challenge(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(token or "", salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
        return int(data["a"]), int(data["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def area_choices() -> list[tuple[str, str]]:
    """Active townships and villages, labelled with their chain (江东区 / 东湖街道 / 东湖社区)."""
    rows = list(
        Area.objects.filter(
            is_active=True, level__in=(AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
        )
        .order_by("path")
        .values("code", "name", "level", "parent__code")
    )
    names = {r["code"]: r for r in rows}
    choices = []
    for row in rows:
        if row["level"] == AreaLevel.COUNTY:
            continue
        chain, parent = [row["name"]], names.get(row["parent__code"])
        while parent is not None:
            chain.insert(0, parent["name"])
            parent = names.get(parent["parent__code"])
        choices.append((row["code"], " / ".join(chain)))
    return choices


class CitizenReportForm(forms.Form):
    """我要反映. Location: a point picked on the map (lon/lat, filled by the page's script or the
    phone's position) or a village chosen from the list, plus an optional address."""

    description = forms.CharField(
        label=_("问题描述"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("请写明发生了什么、在哪里、持续多久")}),
    )
    category = forms.ChoiceField(label=_("问题类别"), required=False)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    area_code = forms.ChoiceField(label=_("所在村（社区）"), required=False)
    address = forms.CharField(
        label=_("详细地址"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("例如：东湖路 12 号门口")}),
    )
    photos = MultipleFileField(
        label=_("现场照片"),
        required=False,
        help_text=_("可不上传；标有“需上传照片”的类别必须上传。支持 JPEG、PNG、WebP 格式"),
    )
    reporter_name = forms.CharField(label=_("您的姓名"), max_length=50)
    reporter_phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    challenge_answer = forms.IntegerField(
        label=_("验证"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    challenge = forms.CharField(widget=forms.HiddenInput)
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.public = public_categories()
        choices = [("", gettext("不确定（由工作人员分类）"))]
        groups: dict[str, list] = {}
        for c in self.public:
            group = c.parent.name if c.parent_id else c.name
            needs_photo = any(
                q.get("type") == QuestionType.PHOTO and q.get("required") for q in c.required_fields or ()
            )
            label = gettext("%(name)s（需上传照片）") % {"name": c.name} if needs_photo else c.name
            groups.setdefault(group, []).append((c.code, label))
        choices += list(groups.items())
        self.fields["category"].choices = choices
        self.fields["area_code"].choices = [("", gettext("（已在地图上选点，或请选择）")), *area_choices()]
        messages = {
            "description": _("请描述您要反映的问题"),
            "reporter_name": _("请填写您的姓名"),
            "reporter_phone": _("请填写手机号码"),
            "challenge_answer": _("请填写计算结果"),
        }
        for name, message in messages.items():
            self.fields[name].error_messages["required"] = message
        self.fields["challenge_answer"].error_messages["invalid"] = _("请填写数字")
        self.fields["lon"].error_messages["invalid"] = _("位置坐标无效，请重新在地图上选点")
        self.fields["lat"].error_messages["invalid"] = _("位置坐标无效，请重新在地图上选点")
        self.fields["reporter_phone"].help_text = _("用于工作人员联系您，也可用来查询办理进度；不会公开")
        if not self.is_bound:
            self.initial["submission_key"] = uuid.uuid4().hex
        self._set_challenge()
        # The chosen category's typed questions, as on the staff form (drawn after a refused submit).
        self.question_fields: list[str] = []
        category = next((c for c in self.public if c.code == self.data.get("category")), None)
        for question in (category.required_fields or ()) if category else ():
            IntakeForm._add_question(self, question)

    def _set_challenge(self):
        token, a, b = new_challenge()
        self.challenge_pair = (a, b)
        if self.is_bound:
            data = self.data.copy()
            data["challenge"] = token
            # A fresh question after every refused submit; the submitted token is kept for checking.
            self.submitted_challenge = self.data.get("challenge", "")
            self.data = data
        else:
            self.initial["challenge"] = token
        self.fields["challenge_answer"].label = gettext("验证：%(a)s 加 %(b)s 等于几？") % {"a": a, "b": b}

    def clean(self):
        cleaned = super().clean()
        pair = read_challenge(getattr(self, "submitted_challenge", ""))
        answer = cleaned.get("challenge_answer")
        if answer is not None and (pair is None or sum(pair) != answer):
            self.add_error("challenge_answer", gettext("计算结果不对，请重新计算下面的新题目"))
        self.data = self.data.copy()
        self.data["challenge_answer"] = ""
        return cleaned

    @property
    def questions(self):
        return [self[name] for name in self.question_fields]

    def report_data(self) -> dict:
        d = self.cleaned_data
        answers = {name.removeprefix(ANSWER_PREFIX): d[name] for name in self.question_fields if d.get(name)}
        return {
            "description": d["description"],
            "category": d["category"] or None,
            "lon": d["lon"],
            "lat": d["lat"],
            "area_code": d["area_code"] or None,
            "address": d["address"],
            "reporter_name": d["reporter_name"],
            "reporter_phone": d["reporter_phone"],
            "answers": answers,
            "photos": d["photos"],
            "submission_key": d["submission_key"],
        }

    def error_field(self, service_field: str | None) -> str | None:
        if not service_field:
            return None
        if service_field.startswith("answers."):
            name = ANSWER_PREFIX + service_field.removeprefix("answers.")
            return name if name in self.fields else None
        if service_field.startswith("photos"):
            return "photos"
        if service_field in ("location", "coordinates", "lon", "lat", "crs", "area", "area_code", "grid"):
            return "area_code"
        return service_field if service_field in self.fields else None


class FollowForm(forms.Form):
    """查询办理进度: the case number and its query code (or the mobile phone used to report)."""

    number = forms.CharField(
        label=_("事件编号"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "2026-338001-000001", "autocomplete": "off"}),
    )
    secret = forms.CharField(
        label=_("查询码或手机号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].error_messages["required"] = _("请填写事件编号")
        self.fields["secret"].error_messages["required"] = _("请填写查询码或反映时使用的手机号")


RESOLVED_CHOICES = [("yes", _("已解决")), ("no", _("未解决"))]


class RateForm(forms.Form):
    """评价: satisfied / basically / dissatisfied (不满意 reopens the case), solved?, a comment."""

    satisfaction = forms.ChoiceField(
        label=_("您对办理结果是否满意？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    resolved = forms.ChoiceField(
        label=_("问题是否已解决？"), choices=RESOLVED_CHOICES, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见建议（可选）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].error_messages["required"] = _("请选择满意度")
        self.fields["resolved"].error_messages["required"] = _("请选择问题是否已解决")
