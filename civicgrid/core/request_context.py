"""The current request's id, for audit rows written anywhere below the view.

A contextvar rather than a thread-local so it also holds under ASGI and in background tasks, which
set their own id with `bind_request_id`.
"""

import contextlib
import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("civicgrid_request_id", default="")


def current_request_id() -> str:
    """The id of the request (or command, or task) being served; "" outside of one."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind_request_id(request_id: str | None = None):
    """Bind a request id for the duration of a block (management commands, tasks, tests)."""
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)
