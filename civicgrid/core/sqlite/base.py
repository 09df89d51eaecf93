"""SQLite with one queue for writers across processes (the settings use this backend for SQLite).

SQLite lets one writer in at a time. With `BEGIN IMMEDIATE` a second writer — another gunicorn
worker, the background worker — gets SQLITE_BUSY and SQLite's busy handler retries it after sleeping
1, 2, 5, 10, 15, 20, 25 … ms, whatever the holder does meanwhile: under a steady write load a few
percent of requests slept 40–150 ms waiting for a lock that had been free for most of that time
(measured with two processes reporting events at 40/s each). Here a transaction first takes an
exclusive `flock` on `<database>-writelock`: waiting writers block in the kernel and the next one is
woken the moment the lock is released, at COMMIT or ROLLBACK (or when the process dies: the kernel
drops a dead process's locks). SQLite's own lock and busy timeout stay underneath for any other
program that writes the file. In-memory databases (tests) have no file and no queue.

Readers are unaffected (WAL): only transactions, which are where Django writes, take the lock.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock_fd: int | None = None

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writelock"

    def _take_write_lock(self) -> None:
        if self._write_lock_fd is not None:
            return
        path = self._write_lock_path()
        if path is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._write_lock_fd = fd

    def _release_write_lock(self) -> None:
        fd, self._write_lock_fd = self._write_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its flock

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
