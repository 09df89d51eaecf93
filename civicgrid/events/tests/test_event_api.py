# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""The events API: create (201, repeated key 200), batch with one bad item, scoped list and
filters, detail with masked reporter and `actions`, workflow actions with versions, photo upload,
logged reveal; an outsider gets 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    IN_GRID,
    PNG,
    counts,
    events_world,
    media,
    png,
    report,
)
from tests.world import NAMES

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def payload(**kw):
    data = {
        "title": "东湖路施工扰民",
        "description": "夜里还在施工",
        "channel": "hotline_12345",
        "category": "0301",
        "lon": IN_GRID[0],
        "lat": IN_GRID[1],
        "answers": {"night_work": True},
        "reporter_name": "张三",
        "reporter_phone": "13912345678",
    }
    data.update(kw)
    return data


def test_create_then_repeat_with_the_same_key(events_world, api_client_for):
    client = api_client_for("township")
    first = client.post(URL, payload(idempotency_key="k-1"), format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["status"] == "reported"
    assert body["reporter_phone"] == "139****5678"
    assert body["reporter_name"] == "张*"
    assert body["grid_code"] == NAMES.grid_a1a_1
    assert {"register", "reject", "merge", "escalate", "urge"} <= {a["action"] for a in body["actions"]}
    again = client.post(URL, payload(idempotency_key="k-1", title="改了标题"), format="json")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["title"]) == (body["id"], "东湖路施工扰民")
    assert Case.objects.count() == 1


def test_create_with_photos_multipart(events_world, api_client_for):
    client = api_client_for("gridworker")
    data = payload(category="0101", channel="grid_patrol")
    data.pop("answers")
    data["photos"] = [png()]
    response = client.post(URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    assert [p["content_type"] for p in response.json()["photos"]] == ["image/png"]


def test_bad_input_names_the_field(events_world, api_client_for):
    client = api_client_for("township")
    before = counts()
    cases = [
        (payload(category="9999"), "category"),
        (payload(lon=121.5, lat=31.2), "coordinates"),
        (payload(lon=None, lat=None), "location"),
        (payload(answers={}), "answers.night_work"),
        (payload(channel="fax"), "channel"),
    ]
    for data, field in cases:
        response = client.post(URL, data, format="json")
        assert response.status_code == 400
        assert field in response.json(), (field, response.json())
    assert counts() == before


def test_batch_with_one_bad_item(events_world, api_client_for):
    client = api_client_for("township")
    items = [payload(idempotency_key="b-1"), payload(category="9999"), payload(idempotency_key="b-1")]
    response = client.post(URL + "batch/", {"items": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["existing"], body["failed"]) == (1, 1, 1)
    assert [r["status"] for r in body["results"]] == ["created", "error", "existing"]
    assert body["results"][1]["errors"]["error_code"] == "unknown_category"
    assert body["results"][2]["id"] == body["results"][0]["id"]
    assert Case.objects.count() == 1


def test_list_is_scoped_and_filtered(events_world, api_client_for):
    w = events_world
    report(w)
    report(
        w, user="outsider", lon=120.21, lat=30.02, category="0301", photos=[], answers={"night_work": True}
    )
    assert api_client_for("township").get(URL).json()["count"] == 1
    assert api_client_for("outsider").get(URL).json()["count"] == 1
    city = api_client_for("city")
    assert city.get(URL).json()["count"] == 2
    assert city.get(URL, {"category": "0301"}).json()["results"][0]["area_code"] == NAMES.village_b1a
    assert city.get(URL, {"area": NAMES.county_a}).json()["count"] == 1
    assert city.get(URL, {"channel": "hotline_12345"}).json()["count"] == 0
    assert city.get(URL, {"status": "reported"}).json()["count"] == 2
    assert city.get(URL, {"queue": "to_register"}).json()["count"] == 2
    assert api_client_for("nobody").get(URL).status_code == 403


def test_actions_through_the_api_with_versions(events_world, api_client_for):
    w = events_world
    case = report(w).case
    township = api_client_for("township")
    url = f"{URL}{case.pk}/actions/"
    ok = township.post(url + "register/", {"expected_version": case.version}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "registered"
    stale = township.post(url + "dispatch/", {"expected_version": case.version}, format="json")
    assert stale.status_code == 400
    assert stale.json()["error_code"] == "conflict"
    illegal = township.post(url + "close/", {"expected_version": ok.json()["version"]}, format="json")
    assert (illegal.status_code, illegal.json()["error_code"]) == (400, "illegal_transition")
    assert "action" in illegal.json()
    done = township.post(url + "dispatch/", {"expected_version": ok.json()["version"]}, format="json")
    assert done.json()["status"] == "dispatched"
    assert [a["role"] for a in done.json()["assignments"]] == ["lead", "co"]
    assert {d["name"] for d in done.json()["deadlines"]} == {"response", "handling", "objection"}


def test_outsider_gets_404_and_changes_nothing(events_world, api_client_for):
    w = events_world
    case = report(w).case
    outsider = api_client_for("outsider")
    before = counts()
    assert outsider.get(f"{URL}{case.pk}/").status_code == 404
    response = outsider.post(
        f"{URL}{case.pk}/actions/register/", {"expected_version": case.version}, format="json"
    )
    assert response.status_code == 404
    assert outsider.post(f"{URL}{case.pk}/reveal/", {}, format="json").status_code == 404
    photo = outsider.post(f"{URL}{case.pk}/photos/", {"photo": png()}, format="multipart")
    assert photo.status_code == 404
    assert counts() == before
    assert AccessLog.objects.count() == 0


def test_photo_upload_checks_the_bytes(events_world, api_client_for):
    w = events_world
    case = report(w).case
    client = api_client_for("gridworker")
    before = counts()
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    bad = client.post(f"{URL}{case.pk}/photos/", {"photo": fake}, format="multipart")
    assert (bad.status_code, bad.json()["error_code"]) == (400, "not_an_image")
    assert "photo" in bad.json()
    assert counts() == before
    good = client.post(f"{URL}{case.pk}/photos/", {"photo": png()}, format="multipart")
    assert good.status_code == 201
    assert good.json()["stage"] == "report"


def test_reveal_is_logged_and_needs_the_permission(events_world, api_client_for):
    w = events_world
    case = report(w).case
    detail = api_client_for("township").get(f"{URL}{case.pk}/")
    assert detail.json()["reporter_phone"] == "139****5678"
    response = api_client_for("township").post(f"{URL}{case.pk}/reveal/", {"purpose": "回访"}, format="json")
    assert response.json() == {"reporter_name": "张三", "reporter_phone": "13912345678"}
    log = AccessLog.objects.get()
    assert (log.fields, log.purpose) == (["reporter_name", "reporter_phone"], "回访")
    # The grid worker sees the event but may not reveal personal data.
    assert api_client_for("gridworker").post(f"{URL}{case.pk}/reveal/", {}, format="json").status_code == 404
    assert AccessLog.objects.count() == 1


def test_create_answers_with_the_summary_and_a_fixed_query_budget(events_world, api_client_for):
    """Intake is the hottest write: its queries are counted exactly (a new one is a conscious change).
    The answer is the summary plus `Location`; the full record is one GET away."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for("township")
    client.post(URL, payload(idempotency_key="warm"), format="json")  # first draw creates the sequence
    events_world.user("township").clear_scope_cache()
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(URL, payload(idempotency_key="q-1"), format="json")
    queries = [q["sql"] for q in ctx.captured_queries]  # read now: the next request resets the log
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == body["url"] == f"{URL}{body['id']}/"
    assert [d["id"] for d in body["possible_duplicates"]] == [body["id"] - 1]  # the warm-up event
    assert "timeline" not in body
    detail = client.get(body["url"]).json()
    assert detail["timeline"][0]["kind"] == "opened"
    # grants, key probe, category, duplicates (one query: the candidates with the columns shown;
    # the grid and village come from the locate index), intake's and the kernel's atomic (2 + 2),
    # sequence (2), case, details, audit ×2 (head, row, head update), timeline, the assessment
    # rollups' dirty-day mark (once: the new details add nothing to the new case's mark), the
    # units that see the case through an assignment (cases.CaseUnit); the text layer (issue 5):
    # its atomic (2), the repeat-reporter count and the CaseText row
    assert len(queries) == 25, "\n".join(q[:120] for q in queries)


def test_the_created_summary_equals_what_the_declared_fields_give(events_world, rf):
    """`EventCreatedSerializer.to_representation` builds the answer directly for speed: it must give
    exactly what DRF's declared fields give, for every kind of event and reader."""
    from rest_framework import serializers
    from rest_framework.request import Request

    from civicgrid.events.api.event_serializers import EventCreatedSerializer
    from civicgrid.events.tests.test_event_workflow import act

    w = events_world
    reported = report(w).case
    second = report(w, title="又一堆垃圾")  # a possible duplicate of the first
    dispatched = act(w, report(w, title="第三处").case, "register", "township")
    dispatched = act(w, dispatched, "dispatch", "township")
    area_only = report(w, "township", lon=None, lat=None, area_code=NAMES.village_a1a, category=None).case
    emergency = report(w, category="0403", photos=[], answers={"casualties": False}).case
    assert emergency.closed_at is not None and second.possible_duplicates
    cases = [reported, second.case, dispatched, area_only, emergency]
    for username in ("township", "gridworker", "handler", "city"):
        request = Request(rf.get("/"))
        request.user = w.user(username)
        for case in cases:
            case = Case.objects.select_related("area", "grid", "event__category").get(pk=case.pk)
            for duplicates in (None, second.possible_duplicates):
                context = {"request": request, "with_photos": True, "duplicates": duplicates}
                fast = EventCreatedSerializer(case, context=context)
                generic = serializers.ModelSerializer.to_representation(fast, case)
                assert fast.data == generic, (username, case.status)
