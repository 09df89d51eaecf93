"""Forms of the event pages: the event's workflow-action forms registered with the case page
(`pages.py`), the evidence-photo upload, and the intake form (staff web form and grid-worker report).

Forms validate shape only: which unit may lead, whether a category is still active, whether a
point lies in the jurisdiction are the services' decisions, and their refusals come back as field
errors. The action forms are built by the kernel's case page without the case (`KindPages` hands
them only the version); `pages.py` tells them which case page is being drawn (`page_case`) so their
choices and initial values can follow the case and its reader.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Unit
from civicgrid.areas.choices import Crs
from civicgrid.areas.models import Area
from civicgrid.cases.forms import NOTE_MAX, ActionForm, UnitsForm

from .answers import LONG_TEXT_MAX
from .catalogue import resolve_dispatch
from .models import Category, Channel, EmergencyService, EventPhoto, PhotoStage, Satisfaction
from .models.taxonomy import QuestionType

# (case, user) of the case page being rendered on this thread; set by pages.event_panel_context,
# which the kernel's page calls before it builds the action forms.
page_case: ContextVar[tuple | None] = ContextVar("event_page_case", default=None)


def _page() -> tuple:
    return page_case.get() or (None, None)


def active_minor_categories():
    """Active 小类 under active 大类, and active 大类 that have no 小类: what a case may be filed as."""
    return (
        Category.objects.filter(is_active=True)
        .exclude(parent__is_active=False)
        .exclude(children__is_active=True)
        .select_related("parent")
        .order_by("parent__sort_order", "parent__code", "sort_order", "code")
        .distinct()
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        parent = f"{obj.parent.name} / " if obj.parent_id else ""
        return f"{obj.code} {parent}{obj.name}"


# --- workflow actions -------------------------------------------------------------------------------


class EventUnitsForm(UnitsForm):
    """派遣 / 指定承办: lead unit and co-units among the active units the dispatcher may see,
    preselected from the dispatch catalogue when a rule applies. Empty lead on dispatch: the
    catalogue decides (the service refuses when it has no rule)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case, user = _page()
        if user is not None and not self.is_bound:
            units = Unit.objects.restrict(user, "accounts.view_unit").filter(is_active=True).order_by("name")
            self.fields["lead_unit"].queryset = units
            self.fields["co_units"].queryset = units
        details = getattr(case, "event", None) if case is not None else None
        if not self.is_bound and details is not None and details.category is not None:
            decision = resolve_dispatch(details.category, case.grid or case.area)
            if decision is not None:
                self.initial.setdefault("lead_unit", decision.lead.pk)
                self.initial.setdefault("co_units", [u.pk for u in decision.co_handlers])
                self.fields["lead_unit"].help_text = _("已按派单目录预选，可修改")


class RegisterForm(ActionForm):
    """立案: the category (an active 小类), preselected from the classifier's suggestions."""

    category = CategoryChoiceField(
        label=_("事件分类"), queryset=Category.objects.none(), required=False, to_field_name="code"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_minor_categories()
        case, _user = _page()
        details = getattr(case, "event", None) if case is not None else None
        if details is not None and not self.is_bound:
            if details.category is not None:
                self.initial.setdefault("category", details.category.code)
            elif details.suggested_categories:
                # The keyword rules' first guess, or the model's when it was confident; a guess
                # below the model's threshold is shown but left for the dispatcher to choose.
                first = details.suggested_categories[0]
                if first.get("preselected", first.get("source") != "model"):
                    self.initial.setdefault("category", first["code"])

    def action_data(self) -> dict:
        category = self.cleaned_data["category"]
        return {"category": category.code if category else None}


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _("处置照片 %(time)s") % {"time": timezone.localtime(obj.uploaded_at).strftime("%m-%d %H:%M")}


class HandleForm(ActionForm):
    """处置反馈 / 就地处置: the result and the evidence photos already uploaded to the case (the panel's
    upload form stores them through do_add_photo); all of the case's evidence photos preselected."""

    result = forms.CharField(
        label=_("处置结果"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence_photos = EvidenceChoiceField(
        label=_("佐证照片"),
        queryset=EventPhoto.objects.none(),
        required=False,
        help_text=_("先在“现场照片”中上传处置后的照片"),
    )

    stages = (PhotoStage.EVIDENCE,)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case, _user = _page()
        photos = EventPhoto.objects.filter(stage__in=self.stages)
        if case is not None and not self.is_bound:
            photos = photos.filter(case=case)
            self.initial.setdefault("evidence_photos", [p.pk for p in photos])
        self.fields["evidence_photos"].queryset = photos
        self.fields["result"].error_messages["required"] = _("请填写处置结果")

    def action_data(self) -> dict:
        return {
            "result": self.cleaned_data["result"],
            "evidence_photos": [p.pk for p in self.cleaned_data["evidence_photos"]],
        }


class SelfHandleForm(HandleForm):
    # On the spot, the scene photo of the report may serve as the evidence too.
    stages = (PhotoStage.EVIDENCE, PhotoStage.REPORT)


class CallbackForm(ActionForm):
    """回访: reached the citizen? solved? how satisfied (不满意 reopens the event)."""

    contacted = forms.BooleanField(label=_("已联系上反映人"), required=False, initial=True)
    resolved = forms.BooleanField(label=_("问题已解决"), required=False, initial=True)
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].error_messages["required"] = _("请选择满意度")

    def action_data(self) -> dict:
        return {
            "contacted": self.cleaned_data["contacted"],
            "resolved": self.cleaned_data["resolved"],
            "satisfaction": self.cleaned_data["satisfaction"],
        }


class MergeForm(ActionForm):
    """合并: the number of the original event this one duplicates."""

    into = forms.CharField(label=_("原事件编号"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].error_messages["required"] = _("请填写原事件编号")
        case, _user = _page()
        details = getattr(case, "event", None) if case is not None else None
        if details is not None and details.possible_duplicates and not self.is_bound:
            from civicgrid.cases.models import Case

            first = Case.objects.filter(pk=details.possible_duplicates[0]).values_list("number", flat=True)
            self.initial.setdefault("into", next(iter(first), ""))

    def action_data(self) -> dict:
        return {"into_number": self.cleaned_data["into"].strip()}


class PhotoUploadForm(forms.Form):
    """One photo added to an open event (scene or evidence)."""

    photo = forms.FileField(label=_("照片"))
    stage = forms.ChoiceField(label=_("照片类型"), choices=PhotoStage.choices, initial=PhotoStage.EVIDENCE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].error_messages["required"] = _("请选择要上传的照片")
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"


# --- intake -------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


STAFF_CHANNELS = [
    c for c in Channel.choices if c[0] in ("hotline_12345", "web", "department", "citizen", "grid_patrol")
]
ANSWER_PREFIX = "answer_"


class IntakeForm(forms.Form):
    """上报事件: what `intake.report_event` needs, as a page sends it. The category's typed
    questions become `answer_<key>` fields once a category is chosen (the page's script draws them
    on change; after a refused submit the server draws them with their errors)."""

    title = forms.CharField(label=_("标题"), max_length=200)
    description = forms.CharField(
        label=_("事件描述"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    channel = forms.ChoiceField(label=_("来源渠道"), choices=STAFF_CHANNELS, initial="hotline_12345")
    category = CategoryChoiceField(
        label=_("事件分类"),
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("（不确定，由系统推荐）"),
    )
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    crs = forms.ChoiceField(label=_("坐标系"), choices=Crs.choices, initial=Crs.WGS84)
    area_code = forms.ModelChoiceField(
        label=_("所在区划（无坐标时）"),
        queryset=Area.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("（按坐标定位）"),
    )
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("反映人姓名"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("反映人电话"), required=False, max_length=30)
    photos = MultipleFileField(label=_("现场照片"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, user=None, channel: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_channel = channel
        if channel is not None:
            del self.fields["channel"]
        self.fields["title"].error_messages["required"] = _("请填写标题")
        self.fields["lon"].error_messages["invalid"] = _("经度应为数字")
        self.fields["lat"].error_messages["invalid"] = _("纬度应为数字")
        self.fields["category"].queryset = active_minor_categories()
        self.fields["area_code"].queryset = (
            Area.objects.restrict(user, "cases.report_case").filter(is_active=True).order_by("path")
        )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        self.question_fields: list[str] = []
        category = self._bound_category()
        for question in (category.required_fields or ()) if category else ():
            self._add_question(question)

    def _bound_category(self):
        code = self.data.get(self.add_prefix("category")) if self.is_bound else None
        if not code:
            return None
        return self.fields["category"].queryset.filter(code=code).first()

    def _add_question(self, q: dict) -> None:
        qtype = q["type"]
        if qtype == QuestionType.PHOTO:
            return  # answered by the photos field
        kw = {"label": q["label"], "required": False}
        if qtype == QuestionType.CHOICE:
            field = forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in q.get("choices", ())], **kw)
        elif qtype == QuestionType.MULTI_CHOICE:
            field = forms.MultipleChoiceField(
                choices=[(c, c) for c in q.get("choices", ())], widget=forms.CheckboxSelectMultiple, **kw
            )
        elif qtype == QuestionType.DATETIME:
            field = forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **kw)
        elif qtype == QuestionType.LONG_TEXT:
            field = forms.CharField(max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}), **kw)
        elif qtype == QuestionType.BOOL:
            field = forms.ChoiceField(choices=[("", "—"), ("true", _("是")), ("false", _("否"))], **kw)
        elif qtype == QuestionType.DATE:
            field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **kw)
        elif qtype == QuestionType.NUMBER:
            field = forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **kw)
        else:
            field = forms.CharField(max_length=500, **kw)
        if q.get("required"):
            field.widget.attrs["data-required"] = "1"
            field.label = f"{q['label']} *"
        name = ANSWER_PREFIX + q["key"]
        self.fields[name] = field
        self.question_fields.append(name)

    @property
    def questions(self):
        return [self[name] for name in self.question_fields]

    @property
    def main_fields(self):
        return [f for f in self.visible_fields() if f.name not in self.question_fields]

    def intake_data(self) -> dict:
        """Keyword arguments for `intake.report_event` (all but actor and photos)."""
        d = self.cleaned_data
        answers = {name.removeprefix(ANSWER_PREFIX): d[name] for name in self.question_fields if d.get(name)}
        return {
            "title": d["title"],
            "description": d["description"],
            "channel": self.fixed_channel or d["channel"],
            "category": d["category"].code if d["category"] else None,
            "lon": d["lon"],
            "lat": d["lat"],
            "crs": d["crs"] or Crs.WGS84,
            "area_code": d["area_code"].code if d["area_code"] else None,
            "address": d["address"],
            "reporter_name": d["reporter_name"],
            "reporter_phone": d["reporter_phone"],
            "answers": answers,
            "idempotency_key": d["idempotency_key"],
        }

    def error_field(self, service_field: str | None) -> str | None:
        """Where a service's field error shows on this form (None: at the top)."""
        if not service_field:
            return None
        if service_field.startswith("answers."):
            name = ANSWER_PREFIX + service_field.removeprefix("answers.")
            return name if name in self.fields else None
        if service_field.startswith("photos"):
            return "photos"
        if service_field in ("location", "coordinates"):
            return "lon"
        if service_field == "area":
            return "area_code"
        return service_field if service_field in self.fields else None


def questions_by_category() -> dict[str, list[dict]]:
    """code → typed questions (without photo ones), for the intake page's script."""
    return {
        c.code: [q for q in c.required_fields or () if q.get("type") != QuestionType.PHOTO]
        for c in active_minor_categories()
        if c.required_fields
    }


class TransferForm(ActionForm):
    """转办: an emergency handed to 110/119/120/122."""

    target = forms.ChoiceField(label=_("转办去向"), choices=EmergencyService.choices)

    def action_data(self) -> dict:
        return {"target": self.cleaned_data["target"]}
