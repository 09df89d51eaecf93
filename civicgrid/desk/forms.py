"""Forms of the desk's pages. They only shape input: every check with a rule behind it (parties,
place, scope, routes) is the services'; their field errors are placed back on these forms."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area, Grid
from civicgrid.cases.choices import PartyKind

from . import routes
from .choices import Route, VisitorRole
from .services import ADD

PARTY_ROWS = 4  # one visitor and up to three more people on the page; the API takes up to 200
PARTY_FIELDS = ("role", "kind", "name", "id_card", "org_code", "phone", "address")


class VisitForm(forms.Form):
    title = forms.CharField(label=_("来访事项"), max_length=200)
    description = forms.CharField(
        label=_("反映内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    people_count = forms.IntegerField(
        label=_("来访人数"), min_value=1, max_value=10000, initial=1, help_text=_("5 人及以上为集体访")
    )
    grid_code = forms.ModelChoiceField(
        label=_("所在网格"),
        queryset=Grid.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("（不选）"),
    )
    area_code = forms.ModelChoiceField(
        label=_("所在区划（无网格时）"),
        queryset=Area.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("（不选）"),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        self.fields["grid_code"].queryset = (
            Grid.objects.restrict(user, ADD).filter(is_active=True).select_related("village").order_by("path")
        )
        self.fields["area_code"].queryset = (
            Area.objects.restrict(user, ADD).filter(is_active=True).order_by("path")
        )
        for i in range(PARTY_ROWS):
            first = i == 0
            self.fields[f"p{i}_role"] = forms.ChoiceField(
                label=_("身份"),
                choices=VisitorRole.choices,
                initial=VisitorRole.VISITOR if first else VisitorRole.OTHER_PARTY,
            )
            self.fields[f"p{i}_kind"] = forms.ChoiceField(label=_("类别"), choices=PartyKind.choices)
            self.fields[f"p{i}_name"] = forms.CharField(label=_("姓名或名称"), max_length=100, required=first)
            self.fields[f"p{i}_id_card"] = forms.CharField(label=_("身份证号"), max_length=18, required=False)
            self.fields[f"p{i}_org_code"] = forms.CharField(
                label=_("统一社会信用代码"), max_length=18, required=False
            )
            self.fields[f"p{i}_phone"] = forms.CharField(label=_("电话"), max_length=30, required=False)
            self.fields[f"p{i}_address"] = forms.CharField(label=_("住址"), max_length=200, required=False)
        self.row_of_party: list[int] = []

    def party_rows(self):
        """The party fields grouped per row, for the template."""
        return [[self[f"p{i}_{name}"] for name in PARTY_FIELDS] for i in range(PARTY_ROWS)]

    @property
    def more_rows_used(self) -> bool:
        """Whether the folded rows (third and later) hold input or errors: shown open then."""
        if not self.is_bound:
            return False
        for i in range(2, PARTY_ROWS):
            for name in ("name", "id_card", "org_code", "phone", "address"):
                key = f"p{i}_{name}"
                if self.data.get(key) or key in self.errors:
                    return True
        return False

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        parties, self.row_of_party = [], []
        for i in range(PARTY_ROWS):
            raw = {name: d.get(f"p{i}_{name}") or "" for name in PARTY_FIELDS}
            if not raw["name"] and not raw["id_card"] and not raw["phone"] and not raw["org_code"]:
                continue  # an empty row
            parties.append(raw)
            self.row_of_party.append(i)
        return {
            "title": d["title"],
            "description": d["description"],
            "people_count": d["people_count"],
            "grid_code": d["grid_code"].code if d["grid_code"] else None,
            "area_code": d["area_code"].code if d["area_code"] else None,
            "address": d["address"],
            "parties": parties,
            "idempotency_key": d["idempotency_key"] or None,
        }

    def error_field(self, service_field: str | None) -> str | None:
        """Where a service's field error shows on this form (None: at the top)."""
        if not service_field:
            return None
        if service_field.startswith("parties["):
            index, _sep, name = service_field.removeprefix("parties[").partition("].")
            if index.isdigit() and int(index) < len(self.row_of_party) and name in PARTY_FIELDS:
                return f"p{self.row_of_party[int(index)]}_{name}"
            return "p0_name"
        if service_field == "parties":
            return "p0_role"
        if service_field in ("location", "coordinates", "lon", "lat"):
            return "grid_code"
        return service_field if service_field in self.fields else None


class RouteForm(forms.Form):
    route = forms.ChoiceField(label=_("分流去向"), widget=forms.RadioSelect)
    dispute_type = forms.ChoiceField(label=_("纠纷类型"), required=False)
    amount = forms.DecimalField(
        label=_("涉及金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    petition_class = forms.ChoiceField(label=_("信访事项类别"), required=False)
    category = forms.ChoiceField(label=_("事件分类"), required=False)
    note = forms.CharField(
        label=_("分流说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("再次分流时必填：原因（如调解不成转信访）"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        available = routes.available_routes()
        self.fields["route"].choices = [(r.value, r.label) for r in Route if r.value in available]
        self.fields["dispute_type"].choices = [("", _("（请选择）")), *routes.dispute_type_choices()]
        self.fields["petition_class"].choices = [("", _("（请选择）")), *routes.petition_class_choices()]
        self.fields["category"].choices = [("", _("（由受理中心分类）")), *_event_categories()]
        if "dispute" not in available:
            for name in ("dispute_type", "amount"):
                del self.fields[name]
        if "petition" not in available:
            del self.fields["petition_class"]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        options = {key: d.get(key) for key in ("dispute_type", "amount", "petition_class", "category")}
        return {"route": d["route"], "note": d["note"], "options": options, "expected_version": d["version"]}

    def error_field(self, service_field: str | None) -> str | None:
        if service_field == "version" or not service_field:
            return None
        return service_field if service_field in self.fields else None


def _event_categories() -> list[tuple[str, str]]:
    from civicgrid.events.forms import active_minor_categories

    return [(c.code, str(c)) for c in active_minor_categories()]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("答复内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class UrgeForm(forms.Form):
    note = forms.CharField(label=_("催办说明"), max_length=2000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class RevealForm(forms.Form):
    purpose = forms.CharField(label=_("查看事由"), max_length=200)
