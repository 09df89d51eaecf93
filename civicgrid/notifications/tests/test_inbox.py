"""The inbox page, the bell and the API: own notifications only; mark-read needs POST and CSRF."""

from __future__ import annotations

import signal

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from civicgrid.notifications.models import Notification, OutboundMessage, PeriodicJob
from civicgrid.notifications.services import notify

pytestmark = pytest.mark.django_db


def _note(user, key, title="事件已超期", link=""):
    return notify(
        recipients=[user], kind="case.overdue", title=title, link=link, idempotency_key=key
    ).notifications[0]


def _client(world, name, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(world.user(name))
    return client


def test_page_lists_only_my_notifications_and_the_bell_counts_them(world):
    mine = _note(world.user("handler"), "a", title="我的通知甲")
    _note(world.user("city"), "b", title="别人的通知乙")
    response = _client(world, "handler").get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的通知甲" in html
    assert "别人的通知乙" not in html
    assert '<span class="bell__count" data-testid="bell-count">1</span>' in html
    assert f"/notifications/{mine.pk}/read/" in html


def test_page_is_paginated(world):
    for i in range(25):
        _note(world.user("handler"), f"p{i}", title=f"通知{i:02d}")
    client = _client(world, "handler")
    first = client.get("/notifications/").content.decode()
    second = client.get("/notifications/?page=2").content.decode()
    assert first.count('data-testid="notification"') == 20
    assert second.count('data-testid="notification"') == 5
    assert "通知24" in first and "通知04" in second and "通知04" not in first


def test_anonymous_is_sent_to_login(world):
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/") or "login" in response["Location"]


def test_mark_read_by_post(world):
    note = _note(world.user("handler"), "a", link="/areas/")
    response = _client(world, "handler").post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert (response.status_code, response["Location"]) == (302, "/areas/")
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_read_of_another_users_notification_is_404_and_changes_nothing(world):
    note = _note(world.user("city"), "a")
    response = _client(world, "handler").post(f"/notifications/{note.pk}/read/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_needs_post(world):
    note = _note(world.user("handler"), "a")
    response = _client(world, "handler").get(f"/notifications/{note.pk}/read/")
    assert response.status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_needs_csrf(world):
    note = _note(world.user("handler"), "a")
    client = _client(world, "handler", csrf=True)
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 403
    assert client.post("/notifications/read-all/").status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_touches_only_mine(world):
    for i in range(3):
        _note(world.user("handler"), f"h{i}")
    other = _note(world.user("city"), "c")
    response = _client(world, "handler").post("/notifications/read-all/")
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=world.user("handler"), read_at__isnull=True).count() == 0
    other.refresh_from_db()
    assert other.read_at is None


def test_api_lists_mine_and_marks_read(world, api_client_for):
    mine = _note(world.user("handler"), "a")
    theirs = _note(world.user("city"), "b")
    client = api_client_for("handler")
    listing = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in listing["results"]] == [mine.pk]
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    marked = client.post(f"/api/v1/notifications/{mine.pk}/read/").json()
    assert marked["is_read"] is True
    assert client.get("/api/v1/notifications/?unread=1").json()["count"] == 0
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    assert api_client_for(None).get("/api/v1/notifications/").status_code == 401


def test_api_outbound_messages_need_the_permission(world, api_client_for):
    assert api_client_for("handler").get("/api/v1/outbound-messages/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_worker_command_delivers_and_runs_the_periodic_sweep(caplog):
    """Real commits (the worker closes connections between rounds, as a long-lived process must):
    notify queues delivery on commit; the worker runs it and the sweep it enqueued itself."""
    from tests.world import build_world

    world = build_world()
    handler = world.user("handler")
    handler.phone = "13812345678"
    handler.save(update_fields=["phone"])
    notify(recipients=[handler], kind="k", title="t", channels=("sms",), idempotency_key="w")
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "cmd", verbosity=0
        )
    finally:
        for s, handler_fn in saved.items():
            signal.signal(s, handler_fn)
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts, message.claimed_by) == ("sent", 1, "task")
    assert PeriodicJob.objects.get(name="notifications.deliver_due").last_worker == "cmd"
    # Every registered periodic job ran once (other apps register theirs, e.g. the case timers).
    assert sorted(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("civicgrid.assessment.tasks.rebuild_dirty_rollups", "SUCCESSFUL"),
        ("civicgrid.cases.timers.sweep_deadlines_task", "SUCCESSFUL"),
        ("civicgrid.disputes.tasks.regrade_overdue_disputes", "SUCCESSFUL"),
        ("civicgrid.notifications.tasks.deliver_due_outbound", "SUCCESSFUL"),
        ("civicgrid.notifications.tasks.deliver_outbound", "SUCCESSFUL"),
        ("civicgrid.open311.tasks.purge_old_calls", "SUCCESSFUL"),
        ("civicgrid.web.tasks.clear_expired_sessions", "SUCCESSFUL"),
    ]
    assert "outbound sms to 138****5678" in caplog.text
    assert "13812345678" not in caplog.text
