"""Event pages beside the kernel's case page: the intake form (/events/new/), the grid worker's
phone report (/events/report/), photos served only to readers of their case, the photo upload of
the event panel and the logged reveal of the reporter.

Reads go through `restrict` (a photo or case out of reach is the same 404 as a missing one);
writes go through the event services, whose refusals come back as field errors in Chinese.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicgrid.cases.models import Case
from civicgrid.cases.views import case_context
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import get_scoped_or_404, scope_paths

from .forms import IntakeForm, PhotoUploadForm, questions_by_category
from .models import Channel, EventPhoto
from .photo_files import photo_response
from .services import do_add_photo, do_report_event, do_reveal_reporter

VIEW = "cases.view_case"
REPORT = "cases.report_case"


def _event(request, number: str) -> Case:
    cases = Case.objects.filter(kind="event").select_related("area", "grid", "lead_unit", "created_by__unit")
    return get_scoped_or_404(cases, request.user, VIEW, number=number)


def _to_case(number: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("cases:detail", kwargs={"number": number}), status=303)


# --- intake ---------------------------------------------------------------------------------------


def _intake(request, template: str, channel: str | None):
    if not scope_paths(request.user, REPORT):
        raise PermissionDenied  # may report nowhere
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES, user=request.user, channel=channel)
        if form.is_valid():
            try:
                result = do_report_event(
                    actor=request.user, photos=form.cleaned_data["photos"], **form.intake_data()
                )
            except (ServiceError, NotPermitted) as error:
                form.add_error(form.error_field(error.field), str(error.message))
            else:
                if result.created:
                    messages.success(
                        request, _("事件已上报，编号 %(number)s") % {"number": result.case.number}
                    )
                return _to_case(result.case.number)
        status = 400
    else:
        form = IntakeForm(user=request.user, channel=channel)
    context = {
        "form": form,
        "questions_by_category": questions_by_category(),
        "grid_report": channel is not None,
    }
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_event(request):
    """/events/new/: the staff intake form (hotline, web, department … any channel)."""
    return _intake(request, "events/new.html", None)


@login_required
@require_http_methods(["GET", "POST"])
def grid_report(request):
    """/events/report/: a grid worker's report from the phone (channel grid_patrol, GPS, photos)."""
    return _intake(request, "events/report.html", Channel.GRID_PATROL)


# --- the event panel's own requests ----------------------------------------------------------------


@login_required
@require_GET
def photo(request, pk: int):
    """/events/photos/<id>/: the photo's bytes, only to a reader of its case (never a public URL)."""
    readable = Case.objects.restrict(request.user, VIEW).values("pk")
    found = EventPhoto.objects.filter(pk=pk, case__in=readable).first()
    if found is None:
        raise Http404
    return photo_response(found)


@login_required
@require_POST
def upload_photo(request, number: str):
    """POST /events/<number>/photos/: add a scene or evidence photo, then back to the case page."""
    case = _event(request, number)
    form = PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return _to_case(case.number)
    try:
        do_add_photo(case, form.cleaned_data["photo"], actor=request.user, stage=form.cleaned_data["stage"])
    except (ServiceError, NotPermitted) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("照片已上传"))
    return _to_case(case.number)


@login_required
@require_POST
def reveal_reporter(request, number: str):
    """POST /events/<number>/reveal/: the case page with the reporter unmasked; the reading is
    written to the access log. A reader without the reveal permission gets the same 404."""
    case = _event(request, number)
    try:
        revealed = do_reveal_reporter(case, actor=request.user, purpose=_("案件页面查看反映人"))
    except ServiceError:
        raise Http404 from None
    context = case_context(request, case)
    context["panel"]["revealed"] = revealed
    return render(request, "cases/case_detail.html", context)
