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
from django.db.models import DEFERRED, Model, signals

SENTINEL_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class Prepared:
    """One ORM query compiled once per database vendor (see the module docstring)."""

    def __init__(self, build: Callable, *, sqlite_indexes: dict[str, str] | None = None, **sentinels):
        self.build = build
        # SQLite only: {table: index} → "FROM table INDEXED BY index". For a query whose best index
        # SQLite's planner cannot see without statistics; an index that cannot serve the query is
        # then an error at once, never a silent scan.
        self.sqlite_indexes = sqlite_indexes or {}
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
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            params = list(params)
            if vendor == "sqlite":
                quote = connection.ops.quote_name
                for table, index in self.sqlite_indexes.items():
                    sql = sql.replace(
                        f"FROM {quote(table)}", f"FROM {quote(table)} INDEXED BY {quote(index)}", 1
                    )
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
            found = (queryset.model, sql, params, positions, _row_plan(compiler))
            self._compiled[vendor] = found
        return found

    def sql(self, **values) -> tuple[str, list]:
        _model, sql, params, positions, _plan = self._compile()
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
        """Model instances as the ORM builds them for this query (`only()` leaves the other fields
        deferred), the database converters applied to every column, annotations set as attributes.
        Queries with `select_related` are not supported (use `rows`)."""
        model, _sql, _params, _positions, plan = self._compile()
        if plan is None:
            raise TypeError("instances() needs a model query without select_related/values()")
        init_list, start, end, converters, annotations = plan
        db = connection.alias
        found = []
        for row in self.rows(**values):
            if converters:
                row = list(row)
                for pos, (functions, expression) in converters.items():
                    value = row[pos]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[pos] = value
            instance = model.from_db(db, init_list, row[start:end])
            for name, pos in annotations.items():
                setattr(instance, name, row[pos])
            found.append(instance)
        return found


def _row_plan(compiler):
    """What Django's ModelIterable reads from a compiled query to build instances: the model's
    columns, the converters and the annotations' positions (None for values()/select_related)."""
    klass_info = compiler.klass_info
    if not klass_info or klass_info.get("related_klass_infos") or compiler.query.values_select:
        return None
    select = compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    converters = compiler.get_converters([column[0] for column in select])
    return init_list, start, end, converters, dict(compiler.annotation_col_map)


# --- single rows, without the ORM's per-call compilation -------------------------------------------

_INSERT_SQL: dict[tuple, tuple] = {}


def _needs_save(model) -> bool:
    """Whether saving `model` runs code of its own (a save() override) or is more than one table
    (multi-table inheritance): then only save() does it right."""
    return model.save is not Model.save or bool(model._meta.parents)


def insert_row(instance) -> None:
    """INSERT `instance` as `save(force_insert=True)` would — the fields' `pre_save` (auto_now…) and
    `get_db_prep_save` (JSON, datetimes), the new primary key set on the instance — with the SQL
    written once per model, and `pre_save`/`post_save` sent as save() sends them. For the rows
    written on every intake (the case, its details, timeline and audit rows). Models with a save()
    of their own or with parents go through `save()`, so that nothing is skipped."""
    model = type(instance)
    meta = model._meta
    if _needs_save(model):
        instance.save(force_insert=True)
        return
    conn = connections[router.db_for_write(model, instance=instance)]
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(
            sender=model, instance=instance, raw=False, using=conn.alias, update_fields=None
        )
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
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model, instance=instance, created=True, update_fields=None, raw=False, using=conn.alias
        )


def update_row(model, pk, **values) -> None:
    """UPDATE the row of `model` whose primary key is `pk`, setting `values` (field names), with
    the fields' `get_db_prep_save`: for the one-row counters every intake advances (the audit chain
    head, the number sequence). No signals are sent, as with `QuerySet.update()`."""
    meta = model._meta
    fields = [meta.get_field(name) for name in values]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608
            [*params, pk],
        )


def instance_from(model, **values):
    """A model instance of a row known without a query (e.g. from an in-memory index): the given
    fields set, every other field deferred — reading one loads it, as with `.only()`."""
    row = [values.get(f.attname, DEFERRED) for f in model._meta.concrete_fields]
    return model.from_db(router.db_for_read(model), list(values), row)
