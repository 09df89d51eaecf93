"""Forms of the petition pages: registration, the workflow action forms of the case page, and the
figures' period. Forms check shape only; the services decide (their errors come back naming the
field, mapped onto these forms by `RegisterForm.error_field`)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Unit
from civicgrid.areas.models import Area
from civicgrid.cases.forms import ActionForm
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.scope import ALL, scope_paths

from .choices import Channel, Opinion, PartyRole, PetitionClass, ReviewOutcome, TransferMode

REGISTER = "petitions.register_petition"
OTHERS_HELP = _("每行一人：姓名，身份证号，电话（身份证号和电话可不填）")


def _areas_for(user):
    """The areas in which `user` may register petitions."""
    qs = Area.objects.filter(is_active=True).order_by("code")
    paths = scope_paths(user, REGISTER)
    if paths is ALL:
        return qs
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return qs.filter(condition)


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'　' * max(len(obj.path.strip('/').split('/')) - 1, 0)}{obj.name}"


class RegisterForm(forms.Form):
    title = forms.CharField(label=_("信访事项"), max_length=200)
    description = forms.CharField(
        label=_("主要诉求和事实"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    area = AreaChoiceField(label=_("事项发生地"), queryset=Area.objects.none(), empty_label=_("请选择"))
    channel = forms.ChoiceField(
        label=_("信访形式"), choices=[("", _("请选择")), *Channel.choices], required=False
    )
    petition_class = forms.ChoiceField(
        label=_("信访类别"), choices=[("", _("请选择")), *PetitionClass.choices], required=False
    )
    people_count = forms.IntegerField(label=_("信访人数"), min_value=1, initial=1)
    received_at = forms.DateTimeField(
        label=_("收到时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("不填为现在"),
    )
    related_number = forms.CharField(label=_("关联信访事项编号"), max_length=40, required=False)
    petitioner_name = forms.CharField(label=_("信访人姓名"), max_length=100)
    petitioner_id_card = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    petitioner_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    petitioner_address = forms.CharField(label=_("住址"), max_length=200, required=False)
    others = forms.CharField(
        label=_("其他信访人"), widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text=OTHERS_HELP
    )
    accused_name = forms.CharField(label=_("被反映人"), max_length=100, required=False)
    accused_unit = forms.ModelChoiceField(
        label=_("被反映人所在单位"), queryset=Unit.objects.none(), required=False, empty_label=_("（不填）")
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = _areas_for(user)
        self.fields["accused_unit"].queryset = Unit.objects.filter(is_active=True).order_by("name")
        self.party_fields: list[str] = []

    def clean_others(self):
        rows = []
        for line_no, line in enumerate((self.cleaned_data.get("others") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) > 3:
                raise forms.ValidationError(_("第 %(n)s 行格式不正确") % {"n": line_no})
            parts += [""] * (3 - len(parts))
            rows.append(
                {"role": PartyRole.PETITIONER, "name": parts[0], "id_card": parts[1], "phone": parts[2]}
            )
        return rows

    def service_data(self) -> dict:
        d = self.cleaned_data
        parties = [
            {
                "role": PartyRole.PETITIONER,
                "name": d["petitioner_name"],
                "id_card": d["petitioner_id_card"],
                "phone": d["petitioner_phone"],
                "address": d["petitioner_address"],
            }
        ]
        self.party_fields = ["petitioner"]
        for row in d["others"]:
            parties.append(row)
            self.party_fields.append("others")
        if d["accused_name"]:
            data = {"unit": d["accused_unit"].pk} if d["accused_unit"] else {}
            parties.append({"role": PartyRole.ACCUSED, "name": d["accused_name"], "data": data})
            self.party_fields.append("accused")
        received = d.get("received_at")
        if received is not None and received.tzinfo is None:
            received = received.replace(tzinfo=LOCAL_TZ)
        return {
            "title": d["title"],
            "description": d["description"],
            "area": d["area"],
            "channel": d["channel"],
            "petition_class": d["petition_class"],
            "people_count": d["people_count"],
            "received_at": received,
            "parties": parties,
        }

    def error_field(self, field: str | None) -> str | None:
        """The form field a service error names (`parties[2].id_card` → the field it came from)."""
        if not field:
            return None
        if field.startswith("parties[") and "]" in field:
            index = int(field[len("parties[") : field.index("]")])
            rest = field[field.index("]") + 2 :] if "." in field else ""
            source = self.party_fields[index] if index < len(self.party_fields) else "others"
            if source == "petitioner" and f"petitioner_{rest}" in self.fields:
                return f"petitioner_{rest}"
            if source == "accused":
                return "accused_unit" if rest.startswith("data") else "accused_name"
            return "others"
        if field == "parties":
            return "petitioner_name"
        if field == "related_case":  # Art.19/36 refusals name the earlier petition: on top
            return "related_number" if self.cleaned_data.get("related_number") else None
        return field if field in self.fields else None


# --- workflow action forms (the case page) ---------------------------------------------------------


class TransferForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("承办机关"), queryset=Unit.objects.none())
    mode = forms.ChoiceField(label=_("转交方式"), choices=TransferMode.choices, initial=TransferMode.TRANSFER)
    field_order = ["unit", "mode", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("area__code", "name")

    def action_data(self) -> dict:
        return {"unit": self.cleaned_data["unit"], "mode": self.cleaned_data["mode"]}


class OpinionForm(ActionForm):
    opinion = forms.ChoiceField(label=_("处理意见"), choices=[("", _("请选择")), *Opinion.choices])
    field_order = ["opinion", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("处理意见书正文")

    def action_data(self) -> dict:
        return {"opinion": self.cleaned_data["opinion"]}


class RequestForm(ActionForm):
    requested_at = forms.DateField(
        label=_("收到申请日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("不填为今天"),
    )
    field_order = ["requested_at", "note"]

    def action_data(self) -> dict:
        day = self.cleaned_data.get("requested_at")
        if day is None:
            return {}
        return {"requested_at": dt.datetime.combine(day, dt.time(9, 0), tzinfo=LOCAL_TZ)}


class DecideForm(ActionForm):
    outcome = forms.ChoiceField(label=_("结论"), choices=[("", _("请选择")), *ReviewOutcome.choices])
    field_order = ["outcome", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("意见书正文")

    def action_data(self) -> dict:
        return {"outcome": self.cleaned_data["outcome"]}


class ReasonForm(ActionForm):
    """不予受理 / 异议: the reason is the note, labelled as such."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("理由")


ACTION_FORMS = {
    "transfer": TransferForm,
    "issue_opinion": OpinionForm,
    "request_review": RequestForm,
    "request_recheck": RequestForm,
    "decide_review": DecideForm,
    "decide_recheck": DecideForm,
    "decline": ReasonForm,
    "office_decline": ReasonForm,
    "object": ReasonForm,
}


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(
        label=_("分组"),
        choices=[("unit", _("按承办机关")), ("area", _("按县（区）")), ("township", _("按乡镇（街道）"))],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("结束日期不能早于开始日期"))
        return data
