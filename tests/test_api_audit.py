"""Audit read endpoints: auditors only; not area-scoped (see audit/api/views.py); read-only."""

from __future__ import annotations

import pytest

from civicgrid.accounts.services import do_update_unit, reveal_personal_data
from civicgrid.audit.models import AccessLog, ObjectChange

pytestmark = pytest.mark.django_db


def test_auditor_reads_both_logs(world, api_client_for):
    do_update_unit(world.units["beishan_office"], actor=world.user("admin"), name="北山镇政府")
    reveal_personal_data(world.user("gridworker"), actor=world.user("township"), purpose="核实")
    client = api_client_for("auditor")
    changes = client.get("/api/v1/audit/changes/", {"object_type": "accounts.unit"})
    assert changes.status_code == 200
    [row] = changes.json()["results"]
    assert (row["action"], row["actor_username"], row["before"], row["after"]) == (
        "update",
        "admin",
        {"name": "北山镇人民政府"},
        {"name": "北山镇政府"},
    )
    logs = client.get("/api/v1/audit/access-logs/")
    [log] = logs.json()["results"]
    assert (log["actor_username"], log["fields"], log["purpose"]) == (
        "township",
        ["display_name", "id_card", "phone"],
        "核实",
    )


@pytest.mark.parametrize("username", ["admin", "county_admin", "township", "leader", "nobody"])
def test_others_are_refused(world, api_client_for, username):
    client = api_client_for(username)
    assert client.get("/api/v1/audit/changes/").status_code == 403
    assert client.get("/api/v1/audit/access-logs/").status_code == 403


def test_audit_log_is_read_only(world, api_client_for):
    do_update_unit(world.units["beishan_office"], actor=None, name="改")
    row = ObjectChange.objects.get()
    client = api_client_for("auditor")
    assert client.delete(f"/api/v1/audit/changes/{row.pk}/").status_code == 405
    assert client.patch(f"/api/v1/audit/changes/{row.pk}/", {"action": "create"}).status_code == 405
    assert client.post("/api/v1/audit/access-logs/", {}).status_code == 405
    assert ObjectChange.objects.get().action == "update"
    assert AccessLog.objects.count() == 0
