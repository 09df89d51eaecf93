"""The audit hash chain: every edit, insertion or deletion of a row is detected by verify_audit."""

from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command

from civicgrid.audit.hashing import GENESIS
from civicgrid.audit.models import AccessLog, ChainHead, ObjectChange
from civicgrid.audit.services import record_access, record_change, snapshot
from civicgrid.audit.verification import verify_all, verify_chain
from civicgrid.core.request_context import bind_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(world):
    """Five ObjectChange rows and two AccessLog rows about world objects."""
    grid = world.grids["338001001001001"]
    actor = world.user("admin")
    rows = []
    for i in range(5):
        before = snapshot(grid)
        grid.name = f"网格{i}"
        grid.save(update_fields=["name"])
        rows.append(
            record_change(actor=actor, action="update", instance=grid, before=before, after=snapshot(grid))
        )
    record_access(
        actor=world.user("township"), instance=world.user("gridworker"), fields=["phone"], purpose="联系"
    )
    record_access(
        actor=world.user("township"), instance=world.user("gridworker"), fields=["id_card", "phone"]
    )
    return rows


def kinds(problems):
    return sorted((p.kind, p.row_id) for p in problems)


def test_clean_chain_verifies(chain):
    results = verify_all()
    assert results["object_change"][0] == 5
    assert results["object_change"][1] == []
    assert results["access_log"] == (2, [])
    call_command("verify_audit")  # no CommandError


def test_rows_link_to_each_other_from_genesis(chain):
    rows = list(ObjectChange.objects.order_by("id"))
    assert rows[0].prev_hash == GENESIS
    for prev, row in pairwise(rows):
        assert row.prev_hash == prev.hash
    head = ChainHead.objects.get(name="object_change")
    assert (head.last_hash, head.count, head.last_id) == (rows[-1].hash, 5, rows[-1].pk)
    assert {r.hash_alg for r in rows} == {"sm3"}
    assert len(rows[0].hash) == 64


def test_update_keeps_only_changed_keys_and_actor(chain, world):
    row = chain[0]
    assert row.before == {"name": "东湖社区第1网格"}
    assert row.after == {"name": "网格0"}
    assert row.actor_username == "admin"
    assert row.actor_id == world.user("admin").pk
    assert row.object_type == "areas.grid"


def test_noop_update_writes_nothing(world):
    grid = world.grids["338001001001001"]
    snap = snapshot(grid)
    assert record_change(actor=None, action="update", instance=grid, before=snap, after=dict(snap)) is None
    assert ObjectChange.objects.count() == 0


def test_request_id_is_recorded(world):
    with bind_request_id("req-12345678"):
        row = record_change(
            actor=None, action="create", instance=world.units["centre"], before=None, after={"x": 1}
        )
    assert row.request_id == "req-12345678"
    assert row.actor_username == "system"


def test_edited_row_is_detected(chain):
    victim = chain[2]
    ObjectChange.objects.filter(pk=victim.pk).update(after={"name": "篡改"})
    _count, problems = verify_chain(ObjectChange)
    assert kinds(problems) == [("edited", victim.pk)]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_edited_actor_is_detected(chain):
    ObjectChange.objects.filter(pk=chain[1].pk).update(actor_username="someone_else")
    assert kinds(verify_chain(ObjectChange)[1]) == [("edited", chain[1].pk)]


def test_rehashed_edit_is_still_detected_by_the_next_link(chain):
    """An attacker who edits a row and recomputes its own digest breaks the next row's link."""
    from civicgrid.audit.hashing import digest
    from civicgrid.audit.services import row_payload

    victim = ObjectChange.objects.get(pk=chain[2].pk)
    victim.after = {"name": "篡改"}
    new_hash = digest(victim.hash_alg, victim.prev_hash, row_payload(victim))
    ObjectChange.objects.filter(pk=victim.pk).update(after=victim.after, hash=new_hash)
    assert kinds(verify_chain(ObjectChange)[1]) == [("broken_link", chain[3].pk)]


def test_deleted_middle_row_is_detected(chain):
    ObjectChange.objects.filter(pk=chain[1].pk).delete()
    problems = verify_chain(ObjectChange)[1]
    assert ("broken_link", chain[2].pk) in kinds(problems)
    assert ("head_mismatch", None) in kinds(problems)


def test_deleted_last_row_is_detected(chain):
    ObjectChange.objects.filter(pk=chain[-1].pk).delete()
    assert kinds(verify_chain(ObjectChange)[1]) == [("head_mismatch", None)]


def test_inserted_row_is_detected(chain):
    forged = ObjectChange.objects.get(pk=chain[4].pk)
    forged.pk = None
    forged.hash = "f" * 64
    forged.save()
    problems = kinds(verify_chain(ObjectChange)[1])
    assert ("edited", forged.pk) in problems
    assert ("head_mismatch", None) in problems


def test_access_log_tampering_is_detected(chain):
    row = AccessLog.objects.order_by("id").first()
    AccessLog.objects.filter(pk=row.pk).update(fields=["phone", "id_card", "name"])
    assert kinds(verify_chain(AccessLog)[1]) == [("edited", row.pk)]


def test_audit_row_rolls_back_with_the_write(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        record_change(
            actor=None, action="create", instance=world.units["centre"], before=None, after={"a": 1}
        )
        raise RuntimeError("service failed after writing")
    assert ObjectChange.objects.count() == 0
    assert verify_chain(ObjectChange)[1] == []


def test_personal_data_is_masked_in_audit_rows(world):
    user = world.user("gridworker")
    before = snapshot(user)
    user.phone = "13912345678"
    user.save(update_fields=["phone"])
    row = record_change(actor=None, action="update", instance=user, before=before, after=snapshot(user))
    assert (row.before, row.after) == ({"phone": "138****1111"}, {"phone": "139****5678"})
    assert snapshot(user)["id_card"] == "330101********123X"
    assert snapshot(user)["display_name"] == "王**"
