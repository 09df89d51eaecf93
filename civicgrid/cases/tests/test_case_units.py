# ruff: noqa: F811  (the shared fixtures are imported from the events tests)
"""`CaseUnit` (which units see an OPEN case through an assignment) stays equal to what the
assignments say after every kernel write — dispatch, accept, object, designate, re-dispatch
(withdraw), summon and report-in, close, callback and reopen, escalation that re-routes, merge — and
every inbox queue and tab count read through it equals the old `restrict` formulation for every user
of the world at each of those points. `rebuild_case_units` (the migration, the command, the bulk
import) gives the same rows. A centre may not dispatch a case escalated above its level (service
and API)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicgrid.cases import queries, services
from civicgrid.cases.choices import VISIBLE_ASSIGNMENT_STATUSES
from civicgrid.cases.models import Assignment, Case, CaseUnit
from civicgrid.cases.tests.test_queries_scale import USERS, ids, reference
from civicgrid.core.errors import ServiceError
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    IN_GRID,
    act,
    events_world,
    evidence,
    media,
    report,
)

pytestmark = pytest.mark.django_db


def derived() -> set[tuple[int, int]]:
    """What CaseUnit must hold, straight from the assignments."""
    return set(
        Assignment.objects.filter(case__closed_at__isnull=True, status__in=VISIBLE_ASSIGNMENT_STATUSES)
        .values_list("case_id", "unit_id")
        .distinct()
    )


def stored() -> set[tuple[int, int]]:
    rows = list(CaseUnit.objects.values_list("case_id", "unit_id"))
    assert len(rows) == len(set(rows))
    return set(rows)


def check(w, step: str) -> None:
    assert stored() == derived(), step
    now = timezone.now()
    for username in USERS:
        user = w.user(username)
        counts = queries.inbox_counts(user, now)
        for name in queries.QUEUES:
            expected = ids(reference(user, name, now))
            assert ids(queries._queue_qs(user, name, now)) == expected, (step, username, name)
            assert getattr(counts, name) == len(expected), (step, username, name)


def test_case_units_follow_every_kernel_write(events_world):
    w = events_world
    chengguan, office = w.units["chengguan"], w.units["donghu_office"]

    # The whole loop, then a dissatisfied callback reopens it to the same units.
    loop = report(w).case
    check(w, "reported")
    loop = act(w, loop, "register", "township")
    loop = act(w, loop, "dispatch", "township")
    assert {u for c, u in stored() if c == loop.pk} == {chengguan.pk, office.pk}
    check(w, "dispatched")
    loop = act(w, loop, "accept", "handler")
    loop = act(w, loop, "handle", "handler", result="已清运", evidence_photos=[evidence(w, loop).pk])
    check(w, "handled (assignments done: still visible)")
    loop = act(w, loop, "verify", "township")
    loop = act(w, loop, "close", "township")
    assert not CaseUnit.objects.filter(case=loop).exists()
    check(w, "closed")
    loop = act(w, loop, "callback", "township", contacted=True, resolved=False, satisfaction="dissatisfied")
    assert loop.closed_at is None
    assert {u for c, u in stored() if c == loop.pk} == {chengguan.pk, office.pk}
    check(w, "reopened")

    # Objection (the co-handler's share is returned: no longer visible), then designation.
    objected = act(w, act(w, report(w).case, "register", "township"), "dispatch", "township")
    objected = act(w, objected, "object", "handler", note="不属于城管职责")
    check(w, "objected")
    objected = act(w, objected, "designate", "county", lead_unit=chengguan.pk)
    check(w, "designated")

    # Re-dispatch outside the workflow withdraws the replaced assignments.
    objected.refresh_from_db()
    services.do_assign(
        objected, [], office, actor=w.user("county"), expected_version=objected.version, note="改派"
    )
    check(w, "re-dispatched")

    # Summon and report in.
    summoned = act(w, report(w).case, "register", "township")
    summoned = act(w, summoned, "summon", "township", units=[chengguan.pk])
    check(w, "summoned")
    summoned = act(w, summoned, "report_in", "handler")
    check(w, "reported in")

    # Escalating a dispatched event withdraws the lower level's units.
    up = act(w, act(w, report(w).case, "register", "township"), "dispatch", "township")
    up = act(w, up, "escalate", "township", note="需区级协调")
    assert not CaseUnit.objects.filter(case=up).exists()
    check(w, "escalated and re-routed")
    up = act(w, up, "dispatch", "county", lead_unit=chengguan.pk)
    check(w, "dispatched by the county")

    # Merge closes the duplicate.
    original = act(w, report(w).case, "register", "township")
    duplicate = report(w, lon=IN_GRID[0] + 0.0003).case
    act(w, duplicate, "merge", "township", into=original.pk)
    check(w, "merged")

    # Rebuilding from scratch (migration, command, bulk import) gives the same rows.
    before = stored()
    CaseUnit.objects.all().delete()
    call_command("rebuild_case_units", verbosity=0)
    assert stored() == before
    CaseUnit.objects.filter(case=loop).delete()
    assert services.rebuild_case_units([loop.pk, original.pk]) == 2
    assert stored() == before


def test_rebuild_drops_rows_of_closed_cases(events_world):
    w = events_world
    case = act(w, act(w, report(w).case, "register", "township"), "dispatch", "township")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())  # closed behind the kernel's back
    assert CaseUnit.objects.filter(case=case).exists()
    assert services.rebuild_case_units([case.pk]) == 0
    assert not CaseUnit.objects.filter(case=case).exists()


# --- a centre dispatches at its own level and below ---------------------------------------------


def _escalated_to_county(w):
    case = act(w, report(w).case, "register", "township")
    case = act(w, case, "escalate", "gridworker", note="本村无力处置")  # village → township
    case = act(w, case, "escalate", "township", note="需区级协调")  # township → county
    assert (case.status, case.handling_level) == ("registered", "county")
    return case


def test_a_township_cannot_dispatch_a_case_escalated_to_the_county(events_world, api_client_for):
    w = events_world
    case = _escalated_to_county(w)
    township = api_client_for("township")
    url = f"/api/v1/events/{case.pk}/actions/"
    refused = township.post(url + "dispatch/", {"expected_version": case.version}, format="json")
    assert refused.status_code == 400, refused.json()
    body = refused.json()
    assert body["error_code"] == "above_level"
    assert "县（区）" in body["handling_level"][0]
    case.refresh_from_db()
    assert (case.status, case.version) == ("registered", case.version)
    assert not Assignment.objects.filter(case=case).exists()
    # The kernel's own dispatch (outside the workflow) refuses it too.
    with pytest.raises(ServiceError) as exc:
        services.do_assign(
            case, [], w.units["chengguan"], actor=w.user("township"), expected_version=case.version
        )
    assert (exc.value.code, exc.value.field) == ("above_level", "handling_level")
    # Not in the township's queue, in the county's; the county dispatches it.
    assert case.pk not in ids(queries.to_dispatch(w.user("township")))
    assert case.pk in ids(queries.to_dispatch(w.user("county")))
    county = api_client_for("county")
    ok = county.post(
        url + "dispatch/",
        {"expected_version": case.version, "lead_unit": w.units["chengguan"].pk},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "dispatched"


def test_the_level_check_keeps_reach_first(events_world, api_client_for):
    """An outsider still gets the 404 of a case out of reach, not the level refusal."""
    w = events_world
    case = _escalated_to_county(w)
    response = api_client_for("outsider").post(
        f"/api/v1/events/{case.pk}/actions/dispatch/", {"expected_version": case.version}, format="json"
    )
    assert response.status_code == 404


def test_a_township_cannot_summon_departments_onto_a_case_escalated_to_the_county(events_world):
    from civicgrid.cases.summon import do_summon

    w = events_world
    case = _escalated_to_county(w)
    before = (case.version, Assignment.objects.filter(case=case).count())
    with pytest.raises(ServiceError) as exc:
        do_summon(
            case,
            [w.units["chengguan"]],
            actor=w.user("township"),
            expected_version=case.version,
            allowed=[w.units["chengguan"]],
        )
    assert (exc.value.code, exc.value.field) == ("above_level", "handling_level")
    case.refresh_from_db()
    assert (case.version, Assignment.objects.filter(case=case).count()) == before
