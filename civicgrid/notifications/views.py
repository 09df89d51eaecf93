"""The inbox page: my notifications, newest first, with mark-read and mark-all-read (POST only,
CSRF-checked). Another user's notification answers 404, exactly like a missing one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import queries, services
from .models import Notification

PAGE_SIZE = 20


@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(queries.inbox(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only, "unread_total": queries.unread_count(request.user)},
    )


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = Notification.objects.for_user(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.do_mark_read_notification(notification, actor=request.user)
    if request.POST.get("open") == "1" and notification.link.startswith("/"):
        return redirect(notification.link)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    services.do_mark_all_read_notifications(actor=request.user)
    return _back(request)
