"""Test senders: record every call; fail or "kill the worker" on demand."""

from __future__ import annotations


class WorkerKilled(BaseException):
    """Raised from a sender to stand for the worker process dying mid-send."""


class RecordingSender:
    calls: list[int] = []
    fail_with: Exception | None = None
    kill_on: int | None = None

    @classmethod
    def reset(cls):
        cls.calls = []
        cls.fail_with = None
        cls.kill_on = None

    def send(self, message) -> None:
        type(self).calls.append(message.pk)
        if type(self).kill_on == message.pk:
            raise WorkerKilled
        if type(self).fail_with is not None:
            raise type(self).fail_with
