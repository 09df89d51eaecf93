"""The SQLite backend's writer queue (core/sqlite/base.py): a second writer waits for the first at
the flock, not in SQLite's sleeping busy handler, and every way out of a transaction releases it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from civicgrid.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's own queue")


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    # These tests open their own database files, not the test database.
    with django_db_blocker.unblock():
        yield


def _wrapper(path, timeout=20):
    settings = {**connection.settings_dict, "NAME": str(path), "OPTIONS": {"timeout": timeout}}
    settings.setdefault("TEST", {})
    wrapper = DatabaseWrapper(settings, alias=f"queue-{id(path)}")
    wrapper.inc_thread_sharing()  # the tests hand connections to their threads
    wrapper.ensure_connection()
    return wrapper


def _begin(w):
    w._start_transaction_under_autocommit()


def test_a_second_writer_waits_at_the_queue_and_gets_in_when_the_first_commits(tmp_path):
    path = tmp_path / "q.sqlite3"
    first = _wrapper(path)
    first.cursor().execute("CREATE TABLE t (n INTEGER)")
    # SQLite's own busy timeout is tiny: without the queue the second writer would fail at once.
    second = _wrapper(path, timeout=0.05)
    _begin(first)
    first.cursor().execute("INSERT INTO t VALUES (1)")
    order = []

    def other():
        _begin(second)
        second.cursor().execute("INSERT INTO t VALUES (2)")
        order.append("second wrote")
        second._commit()

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.3)
    assert order == []  # still queued, and not failed: SQLite's 50 ms would be long gone
    order.append("first commits")
    first._commit()
    thread.join(5)
    assert order == ["first commits", "second wrote"]
    rows = first.cursor().execute("SELECT n FROM t ORDER BY n").fetchall()
    assert [r[0] for r in rows] == [1, 2]
    first.close()
    second.close()


@pytest.mark.parametrize("way_out", ["rollback", "close", "failed begin"])
def test_every_way_out_of_a_transaction_releases_the_queue(tmp_path, way_out):
    path = tmp_path / "r.sqlite3"
    holder = _wrapper(path)
    holder.cursor().execute("CREATE TABLE t (n INTEGER)")
    if way_out == "failed begin":
        holder.transaction_mode = "NONSENSE"  # BEGIN NONSENSE is a syntax error
        with pytest.raises(Exception):  # noqa: B017 - the driver's syntax error
            _begin(holder)
    else:
        _begin(holder)
        holder.cursor().execute("INSERT INTO t VALUES (1)")
        holder._rollback() if way_out == "rollback" else holder._close()
    assert holder._write_lock_fd is None
    other = _wrapper(path, timeout=0.05)
    done = threading.Event()

    def write():
        _begin(other)
        other.cursor().execute("INSERT INTO t VALUES (2)")
        other._commit()
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(5), "the queue was left locked"
    other.close()


def test_an_in_memory_database_has_no_queue_file(tmp_path):
    memory = _wrapper(":memory:")
    _begin(memory)
    assert memory._write_lock_fd is None
    memory._rollback()
    assert list(tmp_path.iterdir()) == []
