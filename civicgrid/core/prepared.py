"""Queries on the hot paths, compiled once.

Django compiles a QuerySet to SQL on every execution. For a join such as "the user behind this API
token" or "the user's grants" that costs more than the database's answer, and such queries run on
every request (issue 3 §9: intake at 100 requests/s on two cores). `Prepared` builds the QuerySet
once per database vendor with sentinel parameter values, keeps the SQL and executes it with the
caller's values in the sentinels' places. The SQL is exactly what the ORM writes — table names,
joins, the default manager's filters — so the semantics stay the ORM's; only the compilation is
saved. Each use is covered by the same tests as the ORM query it replaces.

    _GRANTS = Prepared(
        lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("scope_path"),
        user_id=-7_770_001,
    )
    rows = _GRANTS.rows(user_id=user.pk)          # plain cursor rows
    users = _TOKEN_USER.instances(digest=d)       # model instances (RawQuerySet: converters applied)

Sentinels must be values the query passes to the database unchanged (ints, strings) or datetimes
(adapted the way the backend adapts them); a sentinel that does not appear among the compiled
parameters, or appears where another parameter has the same value, is refused at compile time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from django.db import connection, connections, router
from django.db.models import DEFERRED, signals

SENTINEL_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class Prepared:
    """One ORM query compiled once per database vendor (see the module docstring)."""

    def __init__(self, build: Callable, **sentinels):
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self):
        vendor = connection.vendor
        found = self._compiled.get(vendor)
        if found is not None:
            return found
        with self._lock:
            queryset = self.build(**self.sentinels)
            sql, params = queryset.query.sql_with_params()
            params = list(params)
            positions = {}
            for name, sentinel in self.sentinels.items():
                adapted = _adapt(sentinel)
                where = [i for i, p in enumerate(params) if p == adapted]
                if not where:
                    raise ValueError(f"sentinel {name}={sentinel!r} is not among the query's parameters")
                positions[name] = where
            taken = [i for where in positions.values() for i in where]
            if len(taken) != len(set(taken)):
                raise ValueError("two sentinels share a parameter: choose distinct sentinel values")
            found = (queryset.model, sql, params, positions)
            self._compiled[vendor] = found
        return found

    def sql(self, **values) -> tuple[str, list]:
        _model, sql, params, positions = self._compile()
        params = list(params)
        for name, where in positions.items():
            value = _adapt(values[name])
            for i in where:
                params[i] = value
        return sql, params

    def rows(self, **values) -> list[tuple]:
        """The rows as the database driver returns them (for plain columns: ints, strings)."""
        sql, params = self.sql(**values)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def instances(self, **values) -> list:
        """Model instances, with the model fields' database converters applied (RawQuerySet);
        annotations come as the driver returns them."""
        model = self._compile()[0]
        sql, params = self.sql(**values)
        return list(model.objects.raw(sql, params))


# --- single rows, without the ORM's per-call compilation -------------------------------------------

_INSERT_SQL: dict[tuple, tuple] = {}


def _has_save_receivers(model) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def insert_row(instance) -> None:
    """INSERT `instance` as `save(force_insert=True)` would — the fields' `pre_save` (auto_now…) and
    `get_db_prep_save` (JSON, datetimes), the new primary key set on the instance — with the SQL
    written once per model. For the append-only rows written on every intake (audit chain rows).
    Models with save signal receivers go through `save()` so that nothing listening is skipped."""
    model = type(instance)
    meta = model._meta
    if _has_save_receivers(model):
        instance.save(force_insert=True)
        return
    conn = connections[router.db_for_write(model, instance=instance)]
    key = (conn.alias, meta.label)
    found = _INSERT_SQL.get(key)
    if found is None:
        fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
        quote = conn.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model's metadata
            quote(meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
        )
        returning = meta.auto_field is not None and conn.features.can_return_columns_from_insert
        if returning:
            sql += f" RETURNING {quote(meta.auto_field.column)}"
        found = _INSERT_SQL[key] = (fields, sql, returning)
    fields, sql, returning = found
    params = [f.get_db_prep_save(f.pre_save(instance, True), conn) for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if meta.auto_field is not None:
            pk = cursor.fetchone()[0] if returning else cursor.lastrowid
            setattr(instance, meta.auto_field.attname, pk)
    instance._state.adding = False
    instance._state.db = conn.alias


def instance_from(model, **values):
    """A model instance of a row known without a query (e.g. from an in-memory index): the given
    fields set, every other field deferred — reading one loads it, as with `.only()`."""
    row = [values.get(f.attname, DEFERRED) for f in model._meta.concrete_fields]
    return model.from_db(router.db_for_read(model), list(values), row)
