# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""街乡吹哨、部门报到: the township summons a county department onto an event, the department
reports in; refusals (a unit already on the case, a unit that may not be summoned, a user without
the dispatch permission, reporting in twice) change nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases.models import Assignment, Case, TimelineEntry
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.events.services import available_event_actions
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    act,
    counts,
    events_world,
    media,
    report,
)

pytestmark = pytest.mark.django_db


def registered(w):
    case = report(w).case
    return act(w, case, "register", "township")


def names(case, user):
    return [a["action"] for a in available_event_actions(Case.objects.get(pk=case.pk), user)]


def test_summon_then_report_in(events_world):
    w = events_world
    case = registered(w)
    chengguan = w.units["chengguan"]
    assert "summon" in names(case, w.user("township"))
    assert "report_in" not in names(case, w.user("handler"))
    case = act(w, case, "summon", "township", note="请城管到场", units=[chengguan.pk])
    row = Assignment.objects.get(case=case, unit=chengguan)
    assert (row.role, row.status) == ("co", "pending")
    entry = TimelineEntry.objects.filter(case=case).last()
    assert (entry.action, entry.data["summoned"], entry.note) == ("summon", [chengguan.pk], "请城管到场")
    assert "report_in" in names(case, w.user("handler"))
    case = act(w, case, "report_in", "handler", note="已到场")
    row.refresh_from_db()
    assert row.status == "accepted" and row.accepted_at is not None
    assert TimelineEntry.objects.filter(case=case).last().action == "report_in"
    assert "report_in" not in names(case, w.user("handler"))
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "report_in", "handler")
    assert exc.value.code == "no_assignment"
    assert counts() == before


def test_refused_summons_change_nothing(events_world):
    w = events_world
    case = registered(w)
    act(w, case, "summon", "township", units=[w.units["chengguan"].pk])
    before, version = counts(), Case.objects.get(pk=case.pk).version
    refusals = [
        ("township", [w.units["chengguan"].pk], "unit_twice"),  # already on the case
        ("township", [w.units["donghu_office"].pk], "inactive_unit"),  # not a department to summon
        ("township", [], "no_unit"),
        ("township", ["x"], "not_found"),
    ]
    for user, units, code in refusals:
        with pytest.raises(ServiceError) as exc:
            act(w, case, "summon", user, units=units)
        assert exc.value.code == code, (units, exc.value.code)
    with pytest.raises(NotPermitted):  # a grid worker does not dispatch
        act(w, case, "summon", "gridworker", units=[w.units["chengguan"].pk])
    with pytest.raises(NotPermitted):  # out of reach: the same 404 as a missing case
        act(w, case, "summon", "outsider", units=[w.units["chengguan"].pk])
    assert counts() == before and Case.objects.get(pk=case.pk).version == version


def _client(w, username):
    client = Client()
    client.force_login(w.user(username))
    return client


def test_summon_and_report_in_from_the_case_page(events_world):
    w = events_world
    case = registered(w)
    township = _client(w, "township")
    page = township.get(f"/cases/{case.number}/")
    assert "summon" in [item["action"] for item in page.context["actions"]]
    choices = [c[1] for c in page.context["actions"][-1]["form"].fields["units"].choices]
    assert "江东区城市管理局" in choices and "东湖街道办事处" not in choices
    response = township.post(
        f"/cases/{case.number}/actions/summon/",
        {"summon-expected_version": 2, "summon-units": [w.units["donghu_office"].pk]},
    )
    assert response.status_code == 400  # not a candidate: the form refuses the choice
    response = township.post(
        f"/cases/{case.number}/actions/summon/",
        {"summon-expected_version": 2, "summon-units": [w.units["chengguan"].pk], "summon-note": "到场"},
    )
    assert response.status_code == 303
    handler = _client(w, "handler")
    page = handler.get(f"/cases/{case.number}/").content.decode()
    assert "吹哨报到" in page and "/actions/report_in/" in page
    response = handler.post(f"/cases/{case.number}/actions/report_in/", {"report_in-expected_version": 3})
    assert response.status_code == 303
    assert Assignment.objects.get(case=case, unit=w.units["chengguan"]).status == "accepted"


def test_summon_through_the_api(events_world, api_client_for):
    w = events_world
    case = registered(w)
    client = api_client_for("township")
    url = f"/api/v1/events/{case.pk}/actions/summon/"
    response = client.post(url, {"expected_version": 2, "units": [w.units["chengguan"].pk]}, format="json")
    assert response.status_code == 200, response.json()
    response = client.post(url, {"expected_version": 3, "units": [w.units["chengguan"].pk]}, format="json")
    assert response.status_code == 400 and "units" in response.json()
