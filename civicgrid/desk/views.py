"""Pages of the one-stop centre: the desk (its queue and the walk-in register form, phone-friendly),
a visit's page (people, routing, answer, the routed cases with their live status, urging,
history) and the receipt slip (回执) to print for the visitor.

Every page reads through `desk.view_visit` (a visit out of reach is a 404 like a missing one);
every write is a POST with CSRF, through `desk.services`, with its field errors put back on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.areas.models import Area
from civicgrid.cases.models import CaseParty
from civicgrid.cases.parties import party_rows
from civicgrid.cases.services import can_act
from civicgrid.cases.views import person
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.personal_data import can_reveal, mask_name
from civicgrid.core.scope import ALL, path_in_scope, scope_paths

from . import queries, routes, services
from .choices import VisitorRole, VisitStatus
from .forms import AnswerForm, RevealForm, RouteForm, UrgeForm, VisitForm
from .services import ADD, ROUTE, VIEW

PAGE_SIZE = 30
CODE_KEY = "desk_query_code_%s"


def _holds(user, perm: str) -> bool:
    paths = scope_paths(user, perm)
    return paths is ALL or bool(paths)


def _visit_or_404(user, pk) -> object:
    try:
        return services.get_visit(user, pk)
    except NotPermitted:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def desk(request):
    """/desk/: the centre's visits (pending first) and the walk-in register form."""
    user = request.user
    may_view, may_add = _holds(user, VIEW), _holds(user, ADD)
    if not (may_view or may_add):
        raise PermissionDenied
    status = 400 if request.method == "POST" else 200
    form = VisitForm(request.POST or None, user=user) if may_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                visit = services.do_register_visit(actor=user, **kwargs)
            except ServiceError as error:
                form.add_error(form.error_field(error.field), str(error.message))
            else:
                if not getattr(visit, "repeated", False):
                    messages.success(request, _("来访已登记，编号 %(number)s") % {"number": visit.number})
                return HttpResponseRedirect(reverse("desk:visit", args=[visit.pk]))
    current = request.GET.get("status") or "pending"
    if current not in queries.STATUS_FILTERS:
        current = "pending"
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(queries.visits(user, current, search), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _rows(user, list(page))
    counts = queries.counts(user) if may_view else {}
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "current": current,
        "filters": [(s, _filter_label(s), counts[s]) for s in queries.STATUS_FILTERS] if counts else [],
        "query": urlencode({"status": current, **({"q": search} if search else {})}),
        "search": search,
    }
    return render(request, "desk/desk.html", context, status=status)


def _filter_label(status: str) -> str:
    return str(VisitStatus(status).label) if status in VisitStatus.values else _("全部")


def _rows(user, visits) -> list[dict]:
    states = queries.case_states(user, [v.case for v in visits if v.case_id])
    rows = []
    for v in visits:
        state = states.get(v.case_id)
        may_urge = bool(
            state is not None
            and state.visible
            and state.case.closed_at is None
            and can_act(user, "cases.urge_case", state.case)
        )
        rows.append({"visit": v, "state": state, "sealed": queries.sealed(v, states), "may_urge": may_urge})
    return rows


def _visit_context(request, visit, **forms) -> dict:
    user = request.user
    routed = [r.case for r in visit.routings.select_related("case__lead_unit")]
    states = queries.case_states(user, [visit.case, *routed])
    routings = [
        {"routing": r, "state": states.get(r.case_id), "previous": states.get(r.previous_case_id)}
        for r in visit.routings.select_related("case", "previous_case", "routed_by__unit")
    ]
    current = states.get(visit.case_id) if visit.case_id else None
    if visit.status == VisitStatus.ROUTED and current is not None and current.visible:
        people = party_rows(visit.case, user)
    else:
        people = services.visit_party_rows(visit)
    labels = routes.role_labels()
    people = [{**p, "role_display": labels.get(p["role"], p["role"])} for p in people]
    may_route = path_in_scope(user, ROUTE, visit.path) and visit.status != VisitStatus.ANSWERED
    may_urge = (
        current is not None
        and current.visible
        and visit.case.closed_at is None
        and can_act(user, "cases.urge_case", visit.case)
    )
    history = [
        {"entry": e, "actor": person(e.actor) if e.actor_id else _("系统")}
        for e in visit.history.select_related("actor__unit")
    ]
    version = visit.version
    return {
        "visit": visit,
        "sealed": queries.sealed(visit, states),
        "current": current,
        "routings": routings,
        "people": people,
        "people_from_case": visit.status == VisitStatus.ROUTED,
        "may_reveal": visit.status == VisitStatus.PENDING and can_reveal(user, visit.path),
        "revealed": forms.pop("revealed", None),
        "history": history,
        "received_by": person(visit.received_by) if visit.received_by_id else "",
        "route_form": forms.get("route_form")
        or (RouteForm(initial={"version": version}) if may_route else None),
        "answer_form": forms.get("answer_form")
        or (AnswerForm(initial={"version": version}) if may_route and visit.status == "pending" else None),
        "urge_form": forms.get("urge_form")
        or (UrgeForm(initial={"version": visit.case.version}) if may_urge else None),
        "reveal_form": forms.get("reveal_form") or RevealForm(),
    }


@login_required
@require_GET
def visit_detail(request, pk: int):
    visit = _visit_or_404(request.user, pk)
    return render(request, "desk/visit.html", _visit_context(request, visit))


def _redisplay(request, visit, **forms):
    return render(request, "desk/visit.html", _visit_context(request, visit, **forms), status=400)


@login_required
@require_POST
def visit_route(request, pk: int):
    visit = _visit_or_404(request.user, pk)
    form = RouteForm(request.POST)
    if form.is_valid():
        try:
            visit, opened = services.do_route_visit(visit, actor=request.user, **form.service_kwargs())
        except NotPermitted:
            raise Http404 from None
        except ServiceError as error:
            form.add_error(form.error_field(error.field), str(error.message))
        else:
            if opened.query_code:
                request.session[CODE_KEY % visit.pk] = opened.query_code  # shown once, on the slip
            messages.success(
                request,
                _("已分流，生成案件 %(number)s；请打印回执交来访人") % {"number": opened.case.number},
            )
            return HttpResponseRedirect(reverse("desk:receipt", args=[visit.pk]))
    return _redisplay(request, _visit_or_404(request.user, pk), route_form=form)


@login_required
@require_POST
def visit_answer(request, pk: int):
    visit = _visit_or_404(request.user, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.do_answer_visit(
                visit,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                answer=form.cleaned_data["answer"],
            )
        except NotPermitted:
            raise Http404 from None
        except ServiceError as error:
            form.add_error("answer" if error.field == "answer" else None, str(error.message))
        else:
            messages.success(request, _("已记录当场答复"))
            return HttpResponseRedirect(reverse("desk:visit", args=[visit.pk]))
    return _redisplay(request, visit, answer_form=form)


@login_required
@require_POST
def visit_urge(request, pk: int):
    visit = _visit_or_404(request.user, pk)
    form = UrgeForm(request.POST)
    if form.is_valid():
        try:
            case = services.do_urge_visit_case(
                visit,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )
        except NotPermitted:
            raise Http404 from None
        except ServiceError as error:
            form.add_error("note" if error.field == "note" else None, str(error.message))
        else:
            messages.success(request, _("已催办案件 %(number)s") % {"number": case.number})
            back = request.POST.get("next", "")
            if back.startswith("/desk/") and "//" not in back:
                return HttpResponseRedirect(back)  # urged from the queue: back to it
            return HttpResponseRedirect(reverse("desk:visit", args=[visit.pk]))
    return _redisplay(request, visit, urge_form=form)


@login_required
@require_POST
def visit_reveal(request, pk: int, party_id: int):
    visit = _visit_or_404(request.user, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _redisplay(request, visit, reveal_form=form)
    try:
        row = services.do_reveal_visit_party(
            visit, party_id, actor=request.user, purpose=form.cleaned_data["purpose"]
        )
    except NotPermitted:
        raise Http404 from None
    return render(request, "desk/visit.html", _visit_context(request, visit, revealed=row))


@login_required
@require_http_methods(["GET", "POST"])
def visit_receipt(request, pk: int):
    """/desk/visits/<id>/receipt/: the slip to print. The query code shows once, right after
    routing; a POST (route permission) replaces a lost code with a new one."""
    visit = _visit_or_404(request.user, pk)
    code = request.session.pop(CODE_KEY % visit.pk, "")
    if request.method == "POST":
        try:
            code = services.do_record_receipt(visit, actor=request.user, reissue_code=True)
        except NotPermitted:
            raise Http404 from None
        except ServiceError as error:
            messages.error(request, str(error.message))
            return HttpResponseRedirect(reverse("desk:receipt", args=[visit.pk]))
    else:
        services.do_record_receipt(visit, actor=request.user)
    states = queries.case_states(request.user, [visit.case] if visit.case_id else [])
    sealed = queries.sealed(visit, states)
    context = {
        "visit": visit,
        "visitors": [] if sealed else _visitor_names(visit),
        "code": code,
        "sealed": sealed,
        "may_reissue": bool(
            visit.case_id and visit.case.kind == "event" and path_in_scope(request.user, ROUTE, visit.path)
        ),
        "centre": visit.centre_unit.name if visit.centre_unit_id else "",
    }
    response = render(request, "desk/receipt.html", context)
    response["Cache-Control"] = "no-store"  # the code must not stay in a cache
    return response


@login_required
@require_GET
def dashboard_panel(request):
    """/desk/panel/?area=<code>: the leaders' dashboard panel (fetched by the dashboard page), with
    only the cases the reader may view; `area` narrows it to a subtree."""
    code = request.GET.get("area", "").strip()
    area = None
    if code:
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise Http404
    context = {"panel": queries.dashboard_panel(request.user, area=area)}
    return render(request, "desk/_dashboard_panel.html", context)


def _visitor_names(visit) -> list[str]:
    """The visitors' names, masked, for the slip: the visit's own people, or the case's once routed."""
    if visit.case_id is None:
        rows = visit.parties.filter(role=VisitorRole.VISITOR)
    else:
        role = routes._role_map(visit.route).get(VisitorRole.VISITOR, VisitorRole.VISITOR)
        rows = CaseParty.objects.filter(case_id=visit.case_id, role=role)
    return [mask_name(name) for name in rows.order_by("id").values_list("name", flat=True)[:10]]
