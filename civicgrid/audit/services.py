"""The only writer of audit rows.

Call `record_change` from inside the service's transaction, after the write: if the transaction rolls
back, so does the audit row, and the chain head lock makes concurrent appends queue rather than fork.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from civicgrid.core.personal_data import MASKERS
from civicgrid.core.prepared import Prepared, insert_row, update_row
from civicgrid.core.request_context import current_request_id

from .hashing import GENESIS, default_algorithm, digest
from .models import AccessLog, ChainHead, ChangeAction, ObjectChange

# Fields too large for a readable diff (geometries): the audit row keeps their digest and size.
SUMMARISED_FIELDS = {"boundary"}
SKIPPED_FIELDS = {"password", "created_at", "updated_at", "last_login"}


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def _summarise(value) -> dict | None:
    if value in (None, "", {}):
        return None
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text)}


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """A JSON-safe dict of the instance's concrete fields (foreign keys as ids).

    Personal data (a model's `PERSONAL_FIELDS`: field → "name" | "phone" | "id_card") is stored
    masked, as everywhere else: the audit log must not become a way round the reveal permission."""
    data = {}
    personal = getattr(type(instance), "PERSONAL_FIELDS", {})
    for field in instance._meta.concrete_fields:
        name = field.name
        if name in SKIPPED_FIELDS or (fields is not None and name not in fields):
            continue
        value = getattr(instance, field.attname)
        if name in personal:
            value = MASKERS[personal[name]](value)
        data[field.attname if field.is_relation else name] = (
            _summarise(value) if name in SUMMARISED_FIELDS else _json_value(value)
        )
    for field in instance._meta.many_to_many:
        if fields is not None and field.name not in fields:
            continue
        if instance.pk:
            data[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return data


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_username": "system" if actor is None else ""}
    return {"actor_id": actor.pk, "actor_username": actor.get_username()}


# The chain head, read under its row lock on every audit row: compiled once (core.prepared).
_HEAD = Prepared(
    lambda name: ChainHead.objects.select_for_update().filter(name=name).values_list("last_hash", "count"),
    name="\x00sentinel-chain",
)


def _append(model, **values):
    """Append one row to `model`'s chain under the chain-head lock."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return _append(model, **values)
    # One locking read per row; the head row is created once, on the chain's first append.
    head = _HEAD.rows(name=model.CHAIN)
    if not head:
        ChainHead.objects.get_or_create(name=model.CHAIN, defaults={"last_hash": GENESIS})
        head = _HEAD.rows(name=model.CHAIN)
    last_hash, count = head[0]
    alg = default_algorithm()
    values["time"] = timezone.now().astimezone(dt.UTC)
    row = model(prev_hash=last_hash, hash_alg=alg, **values)
    row.hash = digest(alg, last_hash, row_payload(row))
    insert_row(row)
    update_row(ChainHead, model.CHAIN, last_hash=row.hash, last_id=row.pk, count=count + 1)
    return row


def row_payload(row) -> dict:
    payload = {}
    for name in row.HASHED_FIELDS:
        value = getattr(row, name)
        if name == "time":
            value = value.astimezone(dt.UTC).isoformat()
        payload[name] = value
    return payload


def object_label(instance) -> tuple[str, str, str]:
    meta = instance._meta
    return f"{meta.app_label}.{meta.model_name}", str(instance.pk), str(instance)[:200]


def record_change(*, actor, action: str, instance: models.Model, before: dict | None, after: dict | None):
    """One ObjectChange row. `before`/`after` are `snapshot()`s; for updates only the changed keys
    are kept. Returns None (and writes nothing) for an update that changed nothing."""
    if action == ChangeAction.UPDATE and before is not None and after is not None:
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        if not keys:
            return None
        before = {k: before.get(k) for k in keys}
        after = {k: after.get(k) for k in keys}
    object_type, object_id, object_repr = object_label(instance)
    return _append_change(actor, action, object_type, object_id, object_repr, before, after)


def record_bulk_change(*, actor, action: str, model, batch_id: str, description: str, before, after):
    """One ObjectChange row for a batch of rows of `model` written at once (imports, bulk loads):
    the row's object id names the batch ("import:<run>#<n>") and `after` lists what it wrote, so
    auditors see every code without one chain row per imported village."""
    meta = model._meta
    return _append_change(
        actor,
        action,
        f"{meta.app_label}.{meta.model_name}",
        batch_id[:64],
        str(description)[:200],
        before,
        after,
    )


def _append_change(actor, action, object_type, object_id, object_repr, before, after):
    return _append(
        ObjectChange,
        action=action,
        before=before,
        after=after,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        request_id=current_request_id(),
        **_actor_fields(actor),
    )


def record_access(*, actor, instance: models.Model, fields: Iterable[str], purpose: str = ""):
    """One AccessLog row: `actor` saw the unmasked `fields` of `instance`."""
    object_type, object_id, object_repr = object_label(instance)
    return _append(
        AccessLog,
        fields=sorted(fields),
        purpose=purpose[:200],
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        request_id=current_request_id(),
        **_actor_fields(actor),
    )
