"""Dispute pages beside the kernel's case page: the list, registration, conversion from an event,
the red list, the mediation figures with drill-down, the risk-scheme page, and the panel's own
requests (session, visit, grading, party, logged reveal, agreement download).

Reads go through `restrict` (out of reach = missing = 404); writes go through the services, whose
refusals come back as messages naming the field, in Chinese; nothing is written on a refusal.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.cases.models import Case, CaseParty
from civicgrid.cases.parties import do_reveal_party
from civicgrid.cases.views import case_context, status_of
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import get_scoped_or_404, scope_paths

from . import forms, queries, risk, services, steps
from .choices import DisputeType
from .documents import do_download_agreement
from .models import RiskScheme
from .workflow import DisputeStatus

VIEW = "cases.view_case"
REPORT = "disputes.report_dispute"
PAGE_SIZE = 20


def _dispute(request, number: str) -> Case:
    cases = Case.objects.filter(kind="dispute").select_related(
        "area", "grid", "lead_unit", "created_by__unit"
    )
    return get_scoped_or_404(cases, request.user, VIEW, number=number)


def _to_case(number: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("cases:detail", kwargs={"number": number}), status=303)


def _error_text(form_or_error) -> str:
    if isinstance(form_or_error, ServiceError):
        return str(form_or_error.message)
    return "；".join(
        f"{form_or_error.fields[k].label if k in form_or_error.fields else ''}{'：' if k in form_or_error.fields else ''}{e}"
        for k, errors in form_or_error.errors.items()
        for e in errors
    )


def _rows(cases) -> list[dict]:
    scheme = risk.active_scheme()
    rows = []
    for case in cases:
        details = getattr(case, "dispute", None)
        label, modifier = status_of(case)
        code = details.risk_level if details else ""
        rows.append(
            {
                "case": case,
                "details": details,
                "status_label": label,
                "status_class": modifier,
                "risk_label": risk.level_info(scheme, code)[0] if code else "",
                "risk_css": risk.CSS.get(code, "plain"),
            }
        )
    return rows


# --- the list and registration ------------------------------------------------------------------


@login_required
@require_GET
def dispute_list(request):
    """/disputes/: the disputes the reader may view, filtered by status, type, risk and text."""
    if not scope_paths(request.user, VIEW):
        raise PermissionDenied
    qs = (
        queries.disputes(request.user)
        .select_related("area", "dispute__organisation")
        .order_by("-opened_at", "-pk")
    )
    status, dtype, level, text = (request.GET.get(k, "").strip() for k in ("status", "type", "risk", "q"))
    if status in DisputeStatus.values:
        qs = qs.filter(status=status)
    if dtype in DisputeType.values:
        qs = qs.filter(dispute__dispute_type=dtype)
    if level:
        qs = qs.filter(dispute__risk_level=level)
    mine = request.GET.get("mine") == "1"
    if mine:
        qs = qs.filter(dispute__mediators=request.user)
    if text:
        qs = qs.filter(title__icontains=text[:100]) | qs.filter(number=text[:40])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "page": page,
        "rows": _rows(page),
        "query": keep.urlencode(),
        "statuses": DisputeStatus.choices,
        "types": DisputeType.choices,
        "levels": risk.levels_of(risk.active_scheme()),
        "selected": {"status": status, "type": dtype, "risk": level, "q": text, "mine": mine},
        "may_register": bool(scope_paths(request.user, REPORT)),
    }
    return render(request, "disputes/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_dispute(request):
    """/disputes/new/: register a dispute with its parties."""
    if not scope_paths(request.user, REPORT):
        raise PermissionDenied
    form = forms.DisputeForm(request.POST or None, user=request.user)
    blocks = forms.party_forms(request.POST or None)
    status = 200
    if request.method == "POST":
        checked = [form.is_valid()] + [b.is_valid() for b in blocks]  # every block shows its errors
        valid = all(checked)
        if valid:
            used = [(i, b.party()) for i, b in enumerate(blocks) if b.party()]
            data = form.cleaned_data
            try:
                case = services.do_register_dispute(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    area=data["area"],
                    grid=data.get("grid"),
                    dispute_type=data["dispute_type"],
                    amount=data["amount"],
                    people_count=data["people_count"],
                    source=data["source"],
                    parties=[p for _i, p in used],
                )
            except (ServiceError, NotPermitted) as error:
                _attach(error, form, blocks, [i for i, _p in used])
            else:
                messages.success(request, _("矛盾纠纷已登记，编号 %(number)s") % {"number": case.number})
                return _to_case(case.number)
        status = 400
    return render(request, "disputes/new.html", {"form": form, "blocks": blocks}, status=status)


def _attach(error: ServiceError, form, blocks, used: list[int]) -> None:
    """A service error onto the field it names: `parties[1].id_card` → that party block's field."""
    name = error.field or ""
    if name.startswith("parties[") and "]" in name:
        index, _dot, rest = name[len("parties[") :].partition("]")
        if index.isdigit() and int(index) < len(used):
            block = blocks[used[int(index)]]
            key = rest.lstrip(".")
            block.add_error(key if key in block.fields else None, str(error.message))
            return
    form.add_error(name if name in form.fields else None, str(error.message))


@login_required
@require_http_methods(["GET", "POST"])
def convert_event(request, number: str):
    """/disputes/convert/<event number>/: turn an event into a dispute (the event keeps its own
    workflow and gets a timeline entry pointing to the dispute)."""
    event = get_scoped_or_404(
        Case.objects.filter(kind="event").select_related("area"), request.user, VIEW, number=number
    )
    from civicgrid.core.scope import path_in_scope

    if not path_in_scope(request.user, REPORT, event.path):
        raise Http404
    form = forms.ConvertForm(request.POST or None, initial={"expected_version": event.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                dispute = services.do_convert_event_to_dispute(
                    event,
                    actor=request.user,
                    expected_version=data["expected_version"],
                    dispute_type=data["dispute_type"],
                    people_count=data["people_count"],
                    amount=data["amount"],
                    reporter_role=data["reporter_role"],
                    note=data["note"],
                )
            except NotPermitted:
                raise Http404 from None
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                messages.success(request, _("已转为矛盾纠纷 %(number)s") % {"number": dispute.number})
                return _to_case(dispute.number)
        status = 400
    return render(request, "disputes/convert.html", {"form": form, "event": event}, status=status)


# --- the panel's own requests ---------------------------------------------------------------------


def _step(request, number: str, form_class, prefix: str, run, done: str):
    case = _dispute(request, number)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return _to_case(case.number)
    try:
        run(case, form.cleaned_data)
    except NotPermitted:
        raise Http404 from None
    except ServiceError as error:
        label = form.fields[error.field].label if error.field in form.fields else ""
        messages.error(request, f"{label}：{error.message}" if label else str(error.message))
    else:
        messages.success(request, done)
    return _to_case(case.number)


@login_required
@require_POST
def add_session(request, number: str):
    def run(case, data):
        steps.do_record_session(
            case,
            actor=request.user,
            expected_version=data["expected_version"],
            held_at=data["held_at"],
            place=data["place"],
            participants=data["participants"],
            record=data["record"],
        )

    return _step(request, number, forms.SessionForm, "session", run, _("调解记录已保存"))


@login_required
@require_POST
def add_visit(request, number: str):
    def run(case, data):
        steps.do_record_visit(
            case,
            actor=request.user,
            expected_version=data["expected_version"],
            visited_on=data["visited_on"],
            result=data["result"],
            note=data["note"],
        )

    return _step(request, number, forms.VisitForm, "visit", run, _("回访记录已保存"))


@login_required
@require_POST
def grade(request, number: str):
    from .pages import leader_choices

    def run(case, data):
        steps.do_grade_risk(
            case,
            actor=request.user,
            expected_version=data["expected_version"],
            level=data["level"],
            reason=data["reason"],
            leader=data["leader"],
        )

    def kwargs(case):
        return {"levels": risk.levels_of(risk.active_scheme()), "leaders": leader_choices(case)}

    return _step_grade(request, number, run, kwargs)


def _step_grade(request, number, run, kwargs):
    case = _dispute(request, number)
    form = forms.GradeForm(request.POST, prefix="grade", **kwargs(case))
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return _to_case(case.number)
    try:
        run(case, form.cleaned_data)
    except NotPermitted:
        raise Http404 from None
    except ServiceError as error:
        label = form.fields[error.field].label if error.field in form.fields else ""
        messages.error(request, f"{label}：{error.message}" if label else str(error.message))
    else:
        messages.success(request, _("风险等级已更新"))
    return _to_case(case.number)


@login_required
@require_POST
def add_party(request, number: str):
    def run(case, data):
        raw = {k: data[k] for k in ("role", "kind", "name", "id_card", "org_code", "phone", "address")}
        steps.do_add_dispute_party(case, actor=request.user, expected_version=data["expected_version"], **raw)

    return _step(request, number, forms.AddPartyForm, "party", run, _("当事人已添加"))


@login_required
@require_POST
def reveal_party(request, number: str, pk: int):
    """POST /disputes/<number>/parties/<id>/reveal/: the case page with that party unmasked; the
    reading is logged. Without the reveal permission: the same 404."""
    case = _dispute(request, number)
    party = CaseParty.objects.filter(pk=pk, case=case).first()
    if party is None:
        raise Http404
    try:
        revealed = do_reveal_party(party, actor=request.user, purpose=_("纠纷页面查看当事人"))
    except ServiceError:
        raise Http404 from None
    context = case_context(request, case)
    context["panel"]["revealed"] = revealed
    return render(request, "cases/case_detail.html", context)


@login_required
@require_GET
def agreement(request, number: str, fmt: str):
    """GET /disputes/<number>/agreement.pdf|docx: the 调解协议书 (access-logged)."""
    case = _dispute(request, number)
    try:
        content, content_type, filename = do_download_agreement(case, fmt, actor=request.user)
    except NotPermitted:
        raise Http404 from None
    except ServiceError as error:
        messages.error(request, str(error.message))
        return _to_case(case.number)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- leaders and figures ----------------------------------------------------------------------------


@login_required
@require_GET
def red_list(request):
    """/disputes/red/: open red disputes the reader may view, with their leader in charge."""
    if not scope_paths(request.user, VIEW):
        raise PermissionDenied
    page = Paginator(queries.red_disputes(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disputes/red.html", {"page": page, "rows": _rows(page)})


def _period(request) -> tuple[dt.datetime | None, dt.datetime | None, dict]:
    values, bounds = {}, []
    for key in ("start", "end"):
        raw = request.GET.get(key, "").strip()
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            day = None
        values[key] = day.isoformat() if day else ""
        if day is None:
            bounds.append(None)
        else:
            moment = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
            bounds.append(moment + dt.timedelta(days=1) if key == "end" else moment)
    return bounds[0], bounds[1], values


@login_required
@require_GET
def figures(request):
    """/disputes/figures/: mediation success rate by organisation or area, with drill-down links."""
    if not scope_paths(request.user, queries.FIGURES):
        raise PermissionDenied
    start, end, period = _period(request)
    group = request.GET.get("group", "organisation")
    data = queries.mediation_figures(request.user, group=group, start=start, end=end)
    context = {
        **data,
        "period": period,
        "groups": [
            ("organisation", _("按调解组织")),
            ("county", _("按县（区）")),
            ("township", _("按乡镇（街道）")),
            ("village", _("按村（社区）")),
        ],
    }
    return render(request, "disputes/figures.html", context)


@login_required
@require_GET
def figure_cases(request):
    """/disputes/figures/cases/: the disputes behind one figure."""
    if not scope_paths(request.user, queries.FIGURES):
        raise PermissionDenied
    start, end, period = _period(request)
    group = request.GET.get("group", "organisation")
    if group not in queries.GROUPS:
        raise Http404
    qs = queries.figure_cases(
        request.user,
        group=group,
        key=request.GET.get("key", ""),
        outcome=request.GET.get("outcome", ""),
        start=start,
        end=end,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "disputes/figure_cases.html",
        {"page": page, "rows": _rows(page), "query": keep.urlencode(), "period": period},
    )


# --- the risk scheme --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def risk_scheme(request):
    """/disputes/risk-scheme/: the schemes; the active one editable by a city-wide administrator."""
    if not risk.can_manage_schemes(request.user, "view"):
        raise PermissionDenied
    schemes = list(RiskScheme.objects.all())
    active = next((s for s in schemes if s.is_active), None)
    may_change = risk.can_manage_schemes(request.user, "change")
    form = None
    status = 200
    if active is not None and may_change:
        form = forms.RiskSchemeForm(request.POST or None, initial=forms.RiskSchemeForm.initial_from(active))
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    risk.do_update_risk_scheme(active, actor=request.user, **data)
                except ServiceError as error:
                    form.add_error(error.field if error.field in form.fields else None, str(error.message))
                else:
                    messages.success(request, _("风险等级方案已保存"))
                    return HttpResponseRedirect(reverse("disputes:risk_scheme"), status=303)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    weights = {**risk.DEFAULT_WEIGHTS, **((active.weights or {}) if active else {})}
    rules = [(code, str(label), weights.get(code, 0)) for code, label in risk.RULES.items()]
    types = dict(DisputeType.choices)
    high_risk = [str(types.get(t, t)) for t in (active.high_risk_types if active else ())]
    context = {
        "schemes": schemes,
        "active": active,
        "form": form,
        "may_change": may_change,
        "rules": rules,
        "high_risk": high_risk,
    }
    return render(request, "disputes/risk_scheme.html", context, status=status)


@login_required
@require_POST
def activate_scheme(request, pk: int):
    scheme = RiskScheme.objects.filter(pk=pk).first()
    if scheme is None:
        raise Http404
    try:
        risk.do_activate_risk_scheme(scheme, actor=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已启用“%(name)s”") % {"name": scheme.name})
    return HttpResponseRedirect(reverse("disputes:risk_scheme"), status=303)
