"""Forms of the dispute pages: the workflow actions' inputs (registered as `KindPages.action_forms`),
registration with parties, sessions, visits, grading, conversion from an event and the risk scheme.
Forms check shape only; the services decide and their refusals come back as field errors."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.choices import PartyKind
from civicgrid.cases.forms import ActionForm

from .choices import DisputeSource, DisputeType, FulfilmentResult, PartyRole, ReferralChannel
from .models import MediationOrganisation

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})


class MediatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name or obj.username


# --- workflow actions -------------------------------------------------------------------------------


class AcceptForm(ActionForm):
    organisation = forms.ModelChoiceField(label=_("调解组织"), queryset=MediationOrganisation.objects.none())
    mediators = MediatorChoiceField(
        label=_("调解员"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = MediationOrganisation.objects.filter(is_active=True).select_related("area")
        self.fields["organisation"].queryset = orgs
        self.fields["mediators"].queryset = (
            User.objects.filter(is_active=True, mediation_orgs__is_active=True)
            .distinct()
            .order_by("display_name", "username")
        )

    def action_data(self) -> dict:
        return {
            "organisation": self.cleaned_data["organisation"].pk,
            "mediators": [u.pk for u in self.cleaned_data["mediators"]],
        }


class AgreeForm(ActionForm):
    agreement_text = forms.CharField(
        label=_("协议内容"), max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    applicant_confirmed = forms.BooleanField(label=_("申请人已确认协议内容"), required=False)
    respondent_confirmed = forms.BooleanField(label=_("被申请人已确认协议内容"), required=False)

    def action_data(self) -> dict:
        return {
            key: self.cleaned_data[key]
            for key in ("agreement_text", "applicant_confirmed", "respondent_confirmed")
        }


class ApplyConfirmationForm(ActionForm):
    court_name = forms.CharField(label=_("受理法院"), max_length=100)
    applied_on = forms.DateField(label=_("申请日期"), widget=DATE)

    def action_data(self) -> dict:
        return {"court_name": self.cleaned_data["court_name"], "applied_on": self.cleaned_data["applied_on"]}


class CourtDecisionForm(ActionForm):
    decided_on = forms.DateField(label=_("法院作出日期"), required=False, widget=DATE)

    def action_data(self) -> dict:
        return {"decided_on": self.cleaned_data["decided_on"]}


class ReferForm(ActionForm):
    referral_channel = forms.ChoiceField(label=_("分流去向"), choices=ReferralChannel.choices)
    referral_to = forms.CharField(label=_("接收单位"), max_length=100)
    referred_on = forms.DateField(label=_("移交日期"), required=False, widget=DATE)
    referral_receipt = forms.CharField(label=_("接收回执（签收人或回执编号）"), max_length=200)

    def action_data(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("referral_channel", "referral_to", "referred_on", "referral_receipt")
        }


ACTION_FORMS = {
    "accept": AcceptForm,
    "agree": AgreeForm,
    "apply_confirmation": ApplyConfirmationForm,
    "court_accept": CourtDecisionForm,
    "court_decline": CourtDecisionForm,
    "court_confirm": CourtDecisionForm,
    "court_reject": CourtDecisionForm,
    "refer": ReferForm,
}


# --- registration -----------------------------------------------------------------------------------


class DisputeForm(forms.Form):
    title = forms.CharField(label=_("纠纷名称"), max_length=200)
    description = forms.CharField(
        label=_("纠纷简要情况"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    dispute_type = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeType.choices)
    source = forms.ChoiceField(
        label=_("来源"), choices=[c for c in DisputeSource.choices if c[0] != DisputeSource.EVENT]
    )
    amount = forms.CharField(label=_("涉及金额（元）"), required=False, max_length=20)
    people_count = forms.CharField(label=_("涉及人数"), initial="2", max_length=10)
    area = forms.ModelChoiceField(label=_("所在区划"), queryset=Area.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (
            Area.objects.restrict(user, "disputes.report_dispute").filter(is_active=True).order_by("path")
        )
        self.fields["grid"].queryset = Grid.objects.restrict(user, "disputes.report_dispute").order_by("code")
        self.fields["title"].error_messages["required"] = _("请填写纠纷名称")
        self.fields["description"].error_messages["required"] = _("请填写纠纷简要情况")

    def clean(self):
        data = super().clean()
        grid, area = data.get("grid"), data.get("area")
        if grid is not None:
            data["area"] = grid.village
        elif area is None and not self.errors:
            self.add_error("area", _("请选择所在区划或网格"))
        return data


class PartyForm(forms.Form):
    """One party block of the registration form (prefix p0, p1, p2); a block without a name is skipped."""

    role = forms.ChoiceField(label=_("身份"), choices=PartyRole.choices)
    kind = forms.ChoiceField(label=_("类别"), choices=PartyKind.choices, initial=PartyKind.PERSON)
    name = forms.CharField(label=_("姓名或名称"), required=False, max_length=100)
    id_card = forms.CharField(label=_("身份证号"), required=False, max_length=18)
    org_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=18)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=30)
    address = forms.CharField(label=_("住址"), required=False, max_length=200)

    def party(self) -> dict | None:
        data = self.cleaned_data
        return dict(data) if data.get("name", "").strip() else None


PARTY_BLOCKS = (("p0", PartyRole.APPLICANT), ("p1", PartyRole.RESPONDENT), ("p2", PartyRole.THIRD))


def party_forms(data=None) -> list[PartyForm]:
    return [PartyForm(data, prefix=prefix, initial={"role": role}) for prefix, role in PARTY_BLOCKS]


# --- steps on the dispute page -------------------------------------------------------------------


class VersionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SessionForm(VersionForm):
    held_at = forms.DateTimeField(
        label=_("调解时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("调解地点"), max_length=200)
    participants = forms.CharField(label=_("参加人员"), max_length=500)
    record = forms.CharField(label=_("调解记录"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))


class VisitForm(VersionForm):
    visited_on = forms.DateField(label=_("回访日期"), widget=DATE)
    result = forms.ChoiceField(label=_("履行情况"), choices=FulfilmentResult.choices)
    note = forms.CharField(label=_("回访记录"), required=False, max_length=5000, widget=TEXT)


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        unit = f"（{obj.unit.name}）" if obj.unit_id else ""
        return f"{obj.display_name or obj.username}{unit}"


class GradeForm(VersionForm):
    level = forms.ChoiceField(label=_("风险等级"), choices=())
    leader = LeaderChoiceField(label=_("包案领导"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("定级理由"), max_length=1000, widget=TEXT)

    def __init__(self, *args, levels=(), leaders=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(lv["code"], lv["label"]) for lv in levels]
        if leaders is not None:
            self.fields["leader"].queryset = leaders


class AddPartyForm(VersionForm, PartyForm):
    pass


class ConvertForm(VersionForm):
    dispute_type = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeType.choices)
    people_count = forms.CharField(label=_("涉及人数"), initial="2", max_length=10)
    amount = forms.CharField(label=_("涉及金额（元）"), required=False, max_length=20)
    reporter_role = forms.ChoiceField(
        label=_("反映人作为当事人"), required=False, choices=[("", _("（不作为当事人）")), *PartyRole.choices]
    )
    note = forms.CharField(label=_("转换说明"), required=False, max_length=2000, widget=TEXT)


class RiskSchemeForm(forms.Form):
    """The active scheme as editable text: levels one a line "code 名称 起始分", weights "rule 分"."""

    levels = forms.CharField(
        label=_("风险等级（每行：代码 名称 起始分值，由低到高）"), widget=forms.Textarea(attrs={"rows": 4})
    )
    weights = forms.CharField(
        label=_("规则分值（每行：规则 分值）"), widget=forms.Textarea(attrs={"rows": 6})
    )
    threat_words = forms.CharField(label=_("威胁用语（以顿号或空格分隔）"), required=False, widget=TEXT)
    high_risk_types = forms.MultipleChoiceField(
        label=_("高风险纠纷类型"),
        choices=DisputeType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    group_size = forms.IntegerField(label=_("群体性纠纷人数"), min_value=2, max_value=10000)
    repeat_threshold = forms.IntegerField(label=_("同一当事人既往纠纷数"), min_value=1, max_value=100)

    @staticmethod
    def initial_from(scheme) -> dict:
        return {
            "levels": "\n".join(f"{lv['code']} {lv['label']} {lv['min_score']}" for lv in scheme.levels),
            "weights": "\n".join(f"{k} {v}" for k, v in (scheme.weights or {}).items()),
            "threat_words": "、".join(scheme.threat_words or ()),
            "high_risk_types": list(scheme.high_risk_types or ()),
            "group_size": scheme.group_size,
            "repeat_threshold": scheme.repeat_threshold,
        }

    def clean_levels(self):
        rows = []
        for i, line in enumerate(self.cleaned_data["levels"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 3 or not parts[2].isdigit():
                raise forms.ValidationError(_("第 %(n)s 行应为：代码 名称 起始分值") % {"n": i})
            rows.append({"code": parts[0], "label": parts[1], "min_score": int(parts[2])})
        return rows

    def clean_weights(self):
        weights = {}
        for i, line in enumerate(self.cleaned_data["weights"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise forms.ValidationError(_("第 %(n)s 行应为：规则 分值") % {"n": i})
            weights[parts[0]] = int(parts[1])
        return weights

    def clean_threat_words(self):
        text = self.cleaned_data.get("threat_words") or ""
        return [w for w in text.replace("、", " ").replace("，", " ").replace(",", " ").split() if w]


def dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)
