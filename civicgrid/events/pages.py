"""The event kind's parts of the command-centre pages (`cases.forms.KindPages`): the action forms,
the writer the case page calls, the event panel (category, channel, address, answers, photos,
the masked reporter with a logged reveal) and the inbox filters (category 大类/小类, channel).

Registered from `EventsConfig.ready()` through `register_event_pages()`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Unit
from civicgrid.cases.forms import KindPages, register_kind_pages
from civicgrid.cases.models import Case
from civicgrid.cases.services import can_act
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import can_reveal, mask_name, mask_phone
from civicgrid.textintel.services import case_text_context

from . import forms
from .catalogue import summon_candidates
from .intake import EventErrorCode
from .models import Category, Channel, EventDetails, EventPhoto, PhotoStage
from .models.taxonomy import QuestionType
from .services import do_event_action

ACTION_FORMS = {
    "register": forms.RegisterForm,
    "transfer": forms.TransferForm,
    "merge": forms.MergeForm,
    "dispatch": forms.EventUnitsForm,
    "designate": forms.EventUnitsForm,
    "handle": forms.HandleForm,
    "self_handle": forms.SelfHandleForm,
    # Both go to do_callback_event: the citizen's verdict decides between "done" and reopening.
    "callback": forms.CallbackForm,
    "reopen": forms.CallbackForm,
    # reject, object (reason), verify, rework (note), accept, close: the kernel's note form.
}


def perform_event_action(case, action: str, *, actor, expected_version: int, note: str = "", **data) -> Case:
    """The case page's writer for event actions: page inputs → `do_event_action`. A merge target is
    typed as an event number and looked up within the reader's reach (one out of reach reads as
    unknown); units the dispatcher cannot see are refused like unknown ones."""
    if action == "merge":
        number = data.pop("into_number", "")
        target = Case.objects.restrict(actor, "cases.view_case").filter(number=number, kind="event").first()
        if target is None:
            raise ServiceError(
                EventErrorCode.INVALID_MERGE, _("事件“%(number)s”不存在") % {"number": number}, field="into"
            )
        data["into"] = target.pk
    if action in ("dispatch", "designate"):
        visible = Unit.objects.restrict(actor, "accounts.view_unit").filter(is_active=True)
        for name, units in (("lead_unit", [data.get("lead_unit")]), ("co_units", data.get("co_units") or [])):
            for unit in units:
                if unit is not None and not visible.filter(pk=unit.pk).exists():
                    raise ServiceError(
                        "not_found", _("单位“%(name)s”不可选") % {"name": unit.name}, field=name
                    )
    return do_event_action(case, action, actor=actor, expected_version=expected_version, note=note, **data)


def _answers(details: EventDetails) -> list[dict]:
    questions = {q["key"]: q for q in (details.category.required_fields if details.category else None) or ()}
    rows = []
    for key, value in (details.answers or {}).items():
        q = questions.get(key, {})
        if q.get("type") == QuestionType.BOOL or isinstance(value, bool):
            value = _("是") if value else _("否")
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        rows.append({"key": key, "label": q.get("label", key), "value": value})
    return rows


def event_panel_context(case: Case, user) -> dict:
    """The event panel's data. Also tells the action forms which case page is being drawn."""
    details = EventDetails.objects.select_related("category__parent").filter(case=case).first()
    if details is not None:
        case.event = details  # the forms read the details through the case without another query
    forms.page_case.set((case, user))
    if details is None:
        return {}
    photos = list(EventPhoto.objects.filter(case=case))
    may_upload = case.closed_at is None and (
        can_act(user, "cases.handle_case", case) or can_act(user, "cases.report_case", case)
    )
    upload_form = forms.PhotoUploadForm(
        initial={
            "stage": PhotoStage.EVIDENCE if can_act(user, "cases.handle_case", case) else PhotoStage.REPORT
        }
    )
    return {
        "details": details,
        "category": details.category,
        "channel_label": details.get_channel_display(),
        "answers": _answers(details),
        "suggestions": details.suggested_categories if details.category is None else [],
        "report_photos": [p for p in photos if p.stage == PhotoStage.REPORT],
        "evidence_photos": [p for p in photos if p.stage == PhotoStage.EVIDENCE],
        "reporter_name": mask_name(details.reporter_name),
        "reporter_phone": mask_phone(details.reporter_phone),
        "has_reporter": bool(details.reporter_name or details.reporter_phone),
        "may_reveal": can_reveal(user, case.path),
        "may_upload": may_upload,
        "upload_form": upload_form,
        "revealed": None,
        # Urgency flags with their reasons and the classifier's analysis (civicgrid.textintel).
        "text": case_text_context(case, reply=details.result, replied_at=details.handled_at),
    }


# --- inbox filters ------------------------------------------------------------------------------------


class CategoryLabelField(forms.CategoryChoiceField):
    def label_from_instance(self, obj):
        indent = "" if obj.parent_id is None else "　"
        return f"{indent}{obj.code} {obj.name}"


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryLabelField


def _filter_category(queryset, name, value):
    # A 大类 covers its 小类.
    if value is None:
        return queryset
    if value.parent_id is None:
        return queryset.filter(Q(event__category__parent=value) | Q(event__category=value))
    return queryset.filter(event__category=value)


def category_filter():
    return CategoryFilter(
        label=gettext_lazy("事件分类"),
        queryset=Category.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        method=_filter_category,
    )


def channel_filter():
    return django_filters.ChoiceFilter(
        label=gettext_lazy("来源渠道"), choices=Channel.choices, field_name="event__channel"
    )


def register_event_pages() -> KindPages:
    return register_kind_pages(
        KindPages(
            "event",
            action_forms=ACTION_FORMS,
            perform=perform_event_action,
            panel_template="events/_case_panel.html",
            panel_context=event_panel_context,
            inbox_filters={"category": category_filter, "channel": channel_filter},
            summon_units=lambda case: summon_candidates(case.area),
        )
    )
