"""The periodic registry, the scheduler claim (one of two workers), batches resumed after a crash,
and the worker loop end to end."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from civicgrid.core import periodic
from civicgrid.core.tasks import process_in_batches
from civicgrid.notifications.models import Notification, PeriodicJob
from civicgrid.notifications.scheduler import run_due_jobs
from civicgrid.notifications.services import notify
from civicgrid.notifications.worker import PeriodicWorker

RUNS: list[str] = []


@task()
def sample_job() -> None:
    RUNS.append("ran")


@task()
def other_job() -> None:
    RUNS.append("other")


@pytest.fixture
def only_sample_job():
    """The registry holds just the test job while the test runs (the built-in sweep is put back)."""
    saved = dict(periodic._registry)
    periodic._registry.clear()
    periodic.register_periodic("tests.sample", 60, sample_job)
    RUNS.clear()
    yield
    periodic._registry.clear()
    periodic._registry.update(saved)


def test_builtin_sweep_is_registered():
    names = {spec.name: spec.interval_seconds for spec in periodic.registered_jobs()}
    assert names["notifications.deliver_due"] == 60


@pytest.mark.parametrize(
    ("name", "interval", "task_obj", "error"),
    [
        ("Bad Name", 60, sample_job, ValueError),
        ("tests.x", 0, sample_job, ValueError),
        ("tests.x", 1.5, sample_job, ValueError),
        ("tests.x", 60, print, TypeError),
    ],
)
def test_register_rejects_bad_input(name, interval, task_obj, error, only_sample_job):
    with pytest.raises(error):
        periodic.register_periodic(name, interval, task_obj)
    assert [s.name for s in periodic.registered_jobs()] == ["tests.sample"]


def test_register_same_name_other_task_is_an_error(only_sample_job):
    with pytest.raises(ValueError, match="already registered"):
        periodic.register_periodic("tests.sample", 60, other_job)
    periodic.register_periodic("tests.sample", 30, sample_job)
    assert periodic.registered_jobs()[0].interval_seconds == 30


@pytest.mark.django_db
def test_due_job_is_enqueued_once_per_interval(only_sample_job):
    start = timezone.now()
    assert run_due_jobs(worker_id="w1", now=start) == ["tests.sample"]
    assert run_due_jobs(worker_id="w2", now=start + timedelta(seconds=30)) == []
    job = PeriodicJob.objects.get(name="tests.sample")
    assert (job.last_worker, job.next_run_at, job.last_run_at) == ("w1", start + timedelta(seconds=60), start)
    tasks = list(DBTaskResult.objects.all())
    assert [(t.task_path, str(t.id)) for t in tasks] == [
        ("civicgrid.notifications.tests.test_periodic.sample_job", job.last_task_id)
    ]
    # Due again, but the first run has not started: no second copy piles up.
    assert run_due_jobs(worker_id="w1", now=start + timedelta(seconds=61)) == []
    assert DBTaskResult.objects.count() == 1
    DBTaskResult.objects.update(status="SUCCESSFUL")
    assert run_due_jobs(worker_id="w1", now=start + timedelta(seconds=122)) == ["tests.sample"]
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_disabled_job_is_not_enqueued(only_sample_job):
    run_due_jobs(now=timezone.now())
    PeriodicJob.objects.update(enabled=False, next_run_at=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.update(status="SUCCESSFUL")
    assert run_due_jobs() == []
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_one_claims_the_run(only_sample_job):
    barrier = threading.Barrier(2)
    results: dict[str, list] = {}
    errors = []

    def worker(name):
        try:
            barrier.wait()
            results[name] = run_due_jobs(worker_id=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results["a"] + results["b"]) == ["tests.sample"]
    assert DBTaskResult.objects.count() == 1
    assert PeriodicJob.objects.get().last_worker in ("a", "b")


class Crash(Exception):
    pass


@pytest.mark.django_db
def test_interrupted_batch_job_rerun_has_exact_counts(world):
    """A job that marks notifications read and writes a receipt for each, 5 per transaction, dies
    on the 8th row: the first batch stays, the second rolls back whole; the rerun finishes the rest
    and every row has exactly one receipt."""
    handler, city = world.user("handler"), world.user("city")
    for i in range(20):
        notify(recipients=[handler], kind="k", title=f"n{i}", idempotency_key=f"n{i}")
    source_ids = list(
        Notification.objects.filter(recipient=handler).order_by("pk").values_list("pk", flat=True)
    )
    calls = []

    def handle(row, crash_at=None):
        calls.append(row.pk)
        if row.pk == crash_at:
            raise Crash
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
        notify(recipients=[city], kind="receipt", title="r", idempotency_key=f"receipt:{row.pk}")

    def pending():
        return Notification.objects.filter(recipient=handler, read_at__isnull=True)

    with pytest.raises(Crash):
        process_in_batches(pending, lambda row: handle(row, crash_at=source_ids[7]), batch_size=5)
    assert Notification.objects.filter(recipient=city).count() == 5
    assert pending().count() == 15
    assert process_in_batches(pending, handle, batch_size=5) == 15
    assert Notification.objects.filter(recipient=city).count() == 20
    assert sorted(
        Notification.objects.filter(recipient=city).values_list("idempotency_key", flat=True)
    ) == sorted(f"receipt:{pk}" for pk in source_ids)
    assert pending().count() == 0
    assert process_in_batches(pending, handle, batch_size=5) == 0


@pytest.mark.django_db
def test_handler_that_leaves_rows_pending_is_caught(world):
    notify(recipients=[world.user("handler")], kind="k", title="t", idempotency_key="k")
    with pytest.raises(RuntimeError, match="still pending"):
        process_in_batches(
            lambda: Notification.objects.filter(read_at__isnull=True), lambda row: None, batch_size=1
        )


@pytest.mark.django_db(transaction=True)
def test_worker_batch_run_enqueues_and_runs_periodic_jobs(only_sample_job):
    worker = PeriodicWorker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        round_size=20,
    )
    worker.run()
    assert RUNS == ["ran"]
    assert list(DBTaskResult.objects.values_list("status", "worker_ids")) == [("SUCCESSFUL", ["test-worker"])]
    # A second pass within the interval enqueues nothing and runs nothing.
    worker.run()
    assert RUNS == ["ran"]
