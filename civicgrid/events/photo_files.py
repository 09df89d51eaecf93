"""Photo files are written before the transaction that records them commits: a crash after the
commit must not lose a photo. When the transaction rolls back instead, the files are deleted again,
so that a refused or failed intake leaves no file behind that no row names."""

from __future__ import annotations

from contextlib import contextmanager, suppress
from contextvars import ContextVar

_PENDING_FILES: ContextVar[list | None] = ContextVar("pending_photo_files", default=None)


@contextmanager
def photo_files_kept_only_on_success():
    """Delete again the photo files written inside the block when the block raises (the rows that
    named them rolled back). Nested blocks hand their files on to the enclosing one on success."""
    pending: list = []
    token = _PENDING_FILES.set(pending)
    try:
        yield
    except BaseException:
        for storage, name in pending:
            with suppress(OSError):
                storage.delete(name)
        raise
    finally:
        _PENDING_FILES.reset(token)
    outer = _PENDING_FILES.get()
    if outer is not None:
        outer.extend(pending)


def written(field_file) -> None:
    """Note a file just written inside `photo_files_kept_only_on_success` (no-op outside one)."""
    pending = _PENDING_FILES.get()
    if pending is not None:
        pending.append((field_file.storage, field_file.name))


def photo_response(photo):
    """The bytes of an EventPhoto as a private, cacheable answer whose type the browser must not
    guess (the staff photo view and Open311's signed links)."""
    from django.http import FileResponse

    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
