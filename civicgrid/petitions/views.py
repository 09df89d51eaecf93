"""Staff pages of the petitions app beside the kernel's case page: the registration form
(/petitions/new/), the scoped list with drill-down filters (/petitions/), the logged reveal of a
party, document downloads and the figures page (/petitions/figures/).

Reads go through `restrict` (a petition out of reach is the same 404 as a missing one); writes
through the services, whose refusals come back as field errors in Chinese.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.cases.models import Case, CaseParty
from civicgrid.cases.parties import do_reveal_party
from civicgrid.cases.views import case_context
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import get_scoped_or_404, scope_paths

from . import documents, queries
from .choices import PetitionClass
from .forms import PeriodForm, RegisterForm
from .services import REGISTER, do_register_petition
from .workflow import PetitionStatus

VIEW = "cases.view_case"
PAGE_SIZE = 30


def _petition(request, number: str) -> Case:
    cases = Case.objects.filter(kind="petition").select_related("area", "grid", "lead_unit")
    return get_scoped_or_404(cases, request.user, VIEW, number=number)


@login_required
@require_http_methods(["GET", "POST"])
def new_petition(request):
    """/petitions/new/: register a petition. Success answers the POST with the number and the
    petitioner's query code, shown once."""
    if not scope_paths(request.user, REGISTER):
        raise PermissionDenied
    status = 200
    form = RegisterForm(request.POST or None, user=request.user)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            number = form.cleaned_data.get("related_number", "").strip()
            related = None
            if number:
                related = queries.petitions(request.user).filter(number=number).first()
                if related is None:
                    form.add_error("related_number", _("信访事项“%(number)s”不存在") % {"number": number})
            if not form.errors:
                try:
                    case = do_register_petition(actor=request.user, related_case=related, **data)
                except (ServiceError, NotPermitted) as error:
                    form.add_error(form.error_field(error.field), str(error.message))
                else:
                    visible = queries.petitions(request.user).filter(pk=case.pk).exists()
                    context = {"case": case, "code": case.query_code, "visible": visible}
                    return render(request, "petitions/registered.html", context)
    return render(request, "petitions/new.html", {"form": form}, status=status)


@login_required
@require_GET
def petition_list(request):
    """/petitions/: the petitions the reader may view, newest first; filters by status, class,
    collective/repeat and the figures' drill-down (group + metric)."""
    qs = queries.petitions(request.user)
    status = request.GET.get("status", "")
    if status in PetitionStatus.values:
        qs = qs.filter(status=status)
    petition_class = request.GET.get("class", "")
    if petition_class in PetitionClass.values:
        qs = qs.filter(petition__petition_class=petition_class)
    group, metric = request.GET.get("group", "")[:60], request.GET.get("metric", "")
    if metric not in queries.METRICS:
        metric = ""
    if group or metric:
        period = PeriodForm(request.GET)
        since = until = None
        if period.is_valid():
            since, until = period.cleaned_data.get("since"), period.cleaned_data.get("until")
        qs = queries.drill(queries.in_period(qs, since, until), group=group, metric=metric)
    number = request.GET.get("q", "").strip()[:40]
    if number:
        qs = qs.filter(number__icontains=number)
    page = Paginator(qs.order_by("-opened_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(PetitionStatus.choices)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "items": [{"case": case, "status_label": labels.get(case.status, case.status)} for case in page],
        "query": query.urlencode(),
        "statuses": PetitionStatus.choices,
        "classes": PetitionClass.choices,
        "status": status,
        "petition_class": petition_class,
        "group": group,
        "metric": metric,
        "q": number,
        "may_register": bool(scope_paths(request.user, REGISTER)),
    }
    return render(request, "petitions/list.html", context)


@login_required
@require_POST
def reveal_party(request, number: str, pk: int):
    """POST: the case page with one party unmasked; the reading goes to the access log. A reader
    without the reveal permission gets the same 404 as for a missing party."""
    case = _petition(request, number)
    party = CaseParty.objects.filter(case=case, pk=pk).first()
    if party is None:
        raise Http404
    try:
        row = do_reveal_party(party, actor=request.user, purpose=_("信访事项页面查看当事人"))
    except ServiceError:
        raise Http404 from None
    context = case_context(request, case)
    panel = context["panel"]
    panel["parties"] = [
        {**row, "role_label": p["role_label"], "revealed": True} if p["id"] == party.pk else p
        for p in panel["parties"]
    ]
    return render(request, "cases/case_detail.html", context)


@login_required
@require_GET
def document(request, number: str, code: str, fmt: str):
    """/petitions/<number>/documents/<code>.<pdf|docx>: generated on request, logged."""
    case = _petition(request, number)
    try:
        content_type, data, filename = documents.do_generate_document(case, code, fmt, actor=request.user)
    except ServiceError:
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def figures(request):
    """/petitions/figures/: on-time rates and repeat rate by organ or area, with drill-down."""
    if not scope_paths(request.user, queries.FIGURES):
        raise PermissionDenied
    form = PeriodForm(request.GET or None)
    since = until = None
    by = "unit"
    status = 200
    if form.is_bound:
        if form.is_valid():
            since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
            by = form.cleaned_data.get("by") or "unit"
        else:
            status = 400
    data = queries.figures(request.user, since=since, until=until, by=by)
    period = "&".join(
        f"{key}={value.isoformat()}" for key, value in (("since", since), ("until", until)) if value
    )
    return render(
        request, "petitions/figures.html", {"form": form, "data": data, "period": period}, status=status
    )
