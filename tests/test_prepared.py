"""core.prepared: queries compiled once must answer exactly as the ORM does, on both databases, and
refuse to compile where a sentinel would be ambiguous; insert_row must write what save() writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, signals
from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment, Unit, User
from civicgrid.audit.models import ObjectChange
from civicgrid.core.prepared import SENTINEL_TIME, Prepared, insert_row, instance_from

pytestmark = pytest.mark.django_db


def _users_joined_since(since, excluded):
    return (
        User.objects.filter(date_joined__gte=since)
        .exclude(username=excluded)
        .annotate(unit_name=F("unit__name"))
        .only("id", "username", "date_joined", "unit_id")
        .order_by("username")
    )


USERS = Prepared(_users_joined_since, since=SENTINEL_TIME, excluded="\x00sentinel")


def test_instances_equal_the_orm_with_converters_deferred_fields_and_annotations(world):
    since = timezone.now() - dt.timedelta(days=1)
    User.objects.filter(username="county").update(date_joined=since - dt.timedelta(days=3))
    expected = list(_users_joined_since(since, "city"))
    got = USERS.instances(since=since, excluded="city")
    assert [u.pk for u in got] == [u.pk for u in expected] and len(got) > 3
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.date_joined == theirs.date_joined  # aware datetimes on both databases
        assert mine.date_joined.tzinfo is not None
        assert mine.unit_name == theirs.unit_name
        assert mine.get_deferred_fields() == theirs.get_deferred_fields()
        assert mine.display_name == theirs.display_name  # a deferred field loads on use
    assert "county" not in {u.username for u in got} and "city" not in {u.username for u in got}
    assert [u.username for u in USERS.instances(since=since, excluded="")] == sorted(
        [*(u.username for u in got), "city"]
    )


def test_rows_take_new_values_each_call(world):
    grants = Prepared(
        lambda user_id: RoleAssignment.objects.filter(user_id=user_id).values_list("scope_path"),
        user_id=-7_770_001,
    )
    for name in ("township", "city", "nobody"):
        user = world.user(name)
        expected = set(RoleAssignment.objects.filter(user=user).values_list("scope_path"))
        assert set(grants.rows(user_id=user.pk)) == expected


def test_a_sentinel_missing_from_the_query_or_shared_is_refused(world):
    missing = Prepared(lambda code: Unit.objects.filter(code="fixed"), code="\x00s")
    with pytest.raises(ValueError, match="not among"):
        missing.rows(code="x")
    shared = Prepared(lambda a, b: Unit.objects.filter(code=a, name=b), a="\x00same", b="\x00same")
    with pytest.raises(ValueError, match="share"):
        shared.rows(a="x", b="y")


def test_insert_row_writes_what_save_writes(world):
    kwargs = {
        "action": "update",
        "actor_id": None,
        "actor_username": "system",
        "object_type": "test.thing",
        "object_id": "1",
        "object_repr": "事件 1",
        "before": {"a": [1, "二"], "b": None},
        "after": {"a": [2, "三"], "when": "2026-01-01T00:00:00+00:00"},
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
        "hash_alg": "sm3",
        "time": timezone.now(),
    }
    mine = ObjectChange(**kwargs)
    insert_row(mine)
    assert mine.pk is not None and not mine._state.adding
    theirs = ObjectChange.objects.create(**{**kwargs, "hash": "2" * 64})
    a, b = ObjectChange.objects.get(pk=mine.pk), ObjectChange.objects.get(pk=theirs.pk)
    for field in ObjectChange._meta.concrete_fields:
        if field.name not in ("id", "hash"):
            assert getattr(a, field.attname) == getattr(b, field.attname), field.name


def test_insert_row_sends_the_save_signals_as_save_does(world):
    heard = []

    def before(sender, instance, raw, using, update_fields, **kwargs):
        heard.append(("pre", instance.pk, raw, update_fields))

    def after(sender, instance, created, raw, using, update_fields, **kwargs):
        heard.append(("post", instance.pk, created, raw, update_fields))

    signals.pre_save.connect(before, sender=Unit)
    signals.post_save.connect(after, sender=Unit)
    try:
        first = Unit.objects.first()
        unit = Unit(code="signal-test", name="信号测试", kind=first.kind, area_id=first.area_id)
        insert_row(unit)
        twin = Unit(code="signal-twin", name="信号测试二", kind=first.kind, area_id=first.area_id)
        twin.save(force_insert=True)
    finally:
        signals.pre_save.disconnect(before, sender=Unit)
        signals.post_save.disconnect(after, sender=Unit)
    assert heard == [
        ("pre", None, False, None),
        ("post", unit.pk, True, False, None),
        ("pre", None, False, None),
        ("post", twin.pk, True, False, None),
    ]


def test_instance_from_defers_what_it_was_not_given(world):
    unit = Unit.objects.first()
    light = instance_from(Unit, id=unit.pk, code=unit.code)
    assert light.get_deferred_fields() >= {"name"}
    assert light.name == unit.name  # loaded on first use
