"""Delivery: success, retries with backoff then failed, leases, at-most-once claims, and a sweep
killed mid-batch that loses and duplicates nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from civicgrid.notifications import delivery
from civicgrid.notifications.models import OutboundMessage
from civicgrid.notifications.services import notify

from .fakes import WorkerKilled


def _messages(world, count: int, prefix="m") -> list[int]:
    handler = world.user("handler")
    handler.phone = "13812345678"
    handler.save(update_fields=["phone"])
    ids = []
    for i in range(count):
        result = notify(
            recipients=[handler], kind="k", title=f"t{i}", channels=("sms",), idempotency_key=f"{prefix}{i}"
        )
        ids.append(result.messages[0].pk)
    return ids


@pytest.mark.django_db
def test_delivery_success_records_sent(world, recording_sender):
    (message_id,) = _messages(world, 1)
    assert delivery.deliver_message(message_id, worker_id="w1") == "sent"
    message = OutboundMessage.objects.get(pk=message_id)
    assert (message.status, message.attempts, message.lease_expires_at, message.claimed_by) == (
        "sent",
        1,
        None,
        "w1",
    )
    assert message.sent_at is not None
    assert recording_sender.calls == [message_id]
    # Sent is final: a repeated task (or sweep) sends nothing.
    assert delivery.deliver_message(message_id) is None
    assert recording_sender.calls == [message_id]


@pytest.mark.django_db
def test_sender_failure_retries_with_backoff_then_fails(
    world, recording_sender, settings, django_capture_on_commit_callbacks
):
    settings.CIVICGRID_OUTBOUND_MAX_ATTEMPTS = 3
    settings.CIVICGRID_OUTBOUND_BACKOFF_SECONDS = 60
    (message_id,) = _messages(world, 1)
    recording_sender.fail_with = ConnectionError("网关超时")
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.deliver_message(message_id, now=start) == "queued"
    message = OutboundMessage.objects.get(pk=message_id)
    assert (message.status, message.attempts, message.last_error) == (
        "queued",
        1,
        "ConnectionError: 网关超时",
    )
    assert message.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    assert message.next_attempt_at - timezone.now() > timedelta(seconds=55)
    # The retry task is queued to run after the backoff.
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.args_kwargs == {"args": [message_id], "kwargs": {}}
    assert abs((retry.run_after - message.next_attempt_at).total_seconds()) < 1
    # Not due yet: nothing happens.
    assert delivery.deliver_message(message_id) is None
    # Second attempt after 60 s, third after a further 120 s, then failed for good.
    assert delivery.deliver_message(message_id, now=timezone.now() + timedelta(seconds=61)) == "queued"
    message.refresh_from_db()
    assert message.next_attempt_at - timezone.now() > timedelta(seconds=115)
    assert delivery.deliver_message(message_id, now=timezone.now() + timedelta(seconds=400)) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error, message.sent_at) == (
        "failed",
        3,
        "ConnectionError: 网关超时",
        None,
    )
    assert recording_sender.calls == [message_id] * 3
    assert delivery.deliver_message(message_id, now=timezone.now() + timedelta(days=1)) is None
    # An operator requeues it; the next attempt succeeds.
    recording_sender.fail_with = None
    assert delivery.do_requeue_outbound_message(message) is True
    assert delivery.deliver_message(message_id) == "sent"


@pytest.mark.django_db
def test_lease_blocks_a_second_claim_until_it_expires(world, recording_sender):
    (message_id,) = _messages(world, 1)
    first = delivery.claim_message(message_id, worker_id="w1")
    assert (first.status, first.attempts) == ("sending", 1)
    assert delivery.claim_message(message_id, worker_id="w2") is None
    later = timezone.now() + timedelta(seconds=delivery.lease_seconds() + 1)
    second = delivery.claim_message(message_id, worker_id="w2", now=later)
    assert (second.attempts, second.claimed_by) == (2, "w2")
    # The first worker comes back late: its result must not overwrite attempt 2.
    assert delivery._record_success(first, 1) == "sending"
    assert OutboundMessage.objects.get(pk=message_id).status == "sending"
    assert delivery._record_success(second, 2) == "sent"


@pytest.mark.django_db
def test_sweep_killed_mid_batch_loses_and_duplicates_nothing(world, recording_sender):
    ids = _messages(world, 30)
    recording_sender.kill_on = ids[12]
    with pytest.raises(WorkerKilled):
        delivery.deliver_due(worker_id="w1")
    statuses = dict(OutboundMessage.objects.values_list("pk", "status"))
    assert [statuses[i] for i in ids] == ["sent"] * 12 + ["sending"] + ["queued"] * 17
    # Rerun at once: the rest go out; the message in hand stays leased (its worker might be alive).
    recording_sender.kill_on = None
    assert delivery.deliver_due(worker_id="w2") == {"sent": 17}
    assert OutboundMessage.objects.filter(status="sent").count() == 29
    # After the lease lapses the sweep recovers it.
    later = timezone.now() + timedelta(seconds=delivery.lease_seconds() + 1)
    assert delivery.deliver_due(worker_id="w3", now=later) == {"sent": 1}
    assert OutboundMessage.objects.filter(status="sent").count() == 30
    # Each message reached the sender once, except the one in hand when the worker died (the
    # documented at-least-once boundary with the gateway).
    assert sorted(recording_sender.calls) == sorted([*ids, ids[12]])
    assert OutboundMessage.objects.get(pk=ids[12]).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_one_wins(recording_sender):
    from tests.world import build_world

    world = build_world()
    ids = _messages(world, 5)
    barrier = threading.Barrier(2)
    claims: dict[str, list] = {"a": [], "b": []}
    errors = []

    def claimer(name):
        try:
            barrier.wait()
            for message_id in ids:
                claimed = delivery.claim_message(message_id, worker_id=name)
                if claimed is not None:
                    claims[name].append(message_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(claims["a"] + claims["b"]) == sorted(ids)
    assert set(claims["a"]).isdisjoint(claims["b"])
    assert list(OutboundMessage.objects.order_by().values_list("attempts", flat=True).distinct()) == [1]
