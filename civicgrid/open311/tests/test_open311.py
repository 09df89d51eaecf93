"""GeoReport v2 end to end through HTTP: discovery, services and definitions, POST and GET requests,
tokens, the updates extension, both formats validated against the shared JSON Schemas and the spec
examples' XML shape, the errors, keys bound to an area, rate limits, the call log and personal data."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from civicgrid.cases.models import Case
from civicgrid.events.models import Category, EventPhoto
from civicgrid.events.services import do_add_photo, do_callback_event, do_event_action
from civicgrid.events.taxonomy_services import do_update_category
from civicgrid.open311.models import Call, Client, SubmittedRequest
from civicgrid.open311.services import do_create_client, do_revoke_client, do_rotate_key
from tests.world import NAMES

from .conftest import IN_COUNTY_B, IN_GRID, shape, spec_example, valid_json, xml_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_data")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def post(http, key, fmt="json", **data):
    payload = {
        "api_key": key,
        "service_code": "0199",
        "lat": IN_GRID[1],
        "long": IN_GRID[0],
        "attribute[plate]": "浙A12345",
    }
    payload.update({k: v for k, v in data.items() if v is not None})
    for k in [k for k, v in payload.items() if v is None] + [k for k, v in data.items() if v is None]:
        payload.pop(k, None)
    return http.post(f"/open311/v2/requests.{fmt}", payload)


def errors(response, fmt="json"):
    if fmt == "json":
        body = valid_json(response, None)
        assert isinstance(body, list) and all(set(e) == {"code", "description"} for e in body)
        assert all(e["code"] == response.status_code for e in body)
        return " ".join(e["description"] for e in body)
    root = xml_of(response)
    assert root.tag == "errors"
    assert shape(root) == shape(spec_example("get_service_request_not_found.xml"))
    return " ".join(e.findtext("description") for e in root)


# --- discovery, services, definitions --------------------------------------------------------------


def test_discovery_in_both_formats_and_its_changeset_moves_when_services_change(o311, http):
    first = valid_json(http.get("/open311/discovery.json"), None)
    assert first["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert first["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert first["endpoints"][0]["url"].endswith("/open311/v2/")
    assert first["changeset"].endswith("+08:00")
    root = xml_of(http.get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    with time_machine.travel(dt.timedelta(minutes=1)):
        do_update_category(Category.objects.get(code="0199"), actor=None, name="违规停放车辆")
        second = valid_json(http.get("/open311/discovery.json"), None)
    assert second["changeset"] > first["changeset"]


def test_service_list_from_the_taxonomy(o311, http):
    body = valid_json(http.get("/open311/v2/services.json"), "services.json")
    rows = {s["service_code"]: s for s in body}
    parking = rows["0199"]
    assert parking["service_name"] == "违规停车"
    assert parking["group"] == Category.objects.get(code="01").name
    assert parking["keywords"] == "乱停车,占道停车"
    assert parking["metadata"] is True and parking["type"] == "realtime"
    # Emergencies (110/119/…) and internal classes are never offered to an app.
    assert not any(Category.objects.get(code=c).emergency_transfer for c in rows)
    assert not any(c.startswith("13") for c in rows)
    root = xml_of(http.get("/open311/v2/services.xml"))
    assert root.tag == "services" and len(root) == len(body)
    example = spec_example("services.xml")
    assert set(shape(root)["service"]) <= set(shape(example)["service"]) | {"keywords", "group"}
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition_has_all_six_datatypes_in_order(o311, http):
    body = valid_json(http.get("/open311/v2/services/0199.json"), "service-definition.json")
    assert body["service_code"] == "0199"
    attrs = body["attributes"]
    assert [a["code"] for a in attrs] == [q["key"] for q in Category.objects.get(code="0199").required_fields]
    assert [a["order"] for a in attrs] == list(range(1, len(attrs) + 1))
    assert {a["datatype"] for a in attrs} == {
        "string",
        "text",
        "number",
        "datetime",
        "singlevaluelist",
        "multivaluelist",
    }
    by_code = {a["code"]: a for a in attrs}
    assert by_code["plate"]["required"] is True and by_code["plate"]["variable"] is True
    assert by_code["kind"]["values"] == [{"key": c, "name": c} for c in ("小汽车", "货车", "电动车")]
    assert by_code["blocking"]["values"] == [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}]
    assert by_code["sides"]["datatype"] == "multivaluelist"
    root = xml_of(http.get("/open311/v2/services/0199.xml"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute[code='kind']")
    example = spec_example("service_definition.xml").find("attribute")  # a singlevaluelist too
    assert set(shape(attribute)) == set(shape(example))
    assert root.find("attributes/attribute[code='kind']/values/value/key").text == "小汽车"


def test_unknown_service_is_a_404_in_the_spec_error_body(o311, http):
    response = http.get("/open311/v2/services/9999.xml")
    assert response.status_code == 404
    assert "service_code" in errors(response, "xml")
    assert http.get("/open311/v2/services/9999.json").status_code == 404
    assert http.get("/open311/v2/services.csv").status_code == 404


def test_jurisdiction_id_optional_empty_is_absent_and_unknown_is_404(o311, http, settings):
    settings.CIVICGRID_OPEN311 = {"JURISDICTION_ID": "linjiang.gov.cn"}
    assert http.get("/open311/v2/services.json?jurisdiction_id=").status_code == 200
    assert http.get("/open311/v2/services.json?jurisdiction_id=linjiang.gov.cn").status_code == 200
    assert http.get(f"/open311/v2/services.json?jurisdiction_id={NAMES.city}").status_code == 200
    response = http.get("/open311/v2/services.json?jurisdiction_id=sfgov.org")
    assert response.status_code == 404
    assert "jurisdiction_id" in errors(response)


# --- POST requests ---------------------------------------------------------------------------------


def test_post_appears_in_the_inbox_is_handled_and_get_shows_it_closed_with_notes(o311, http, api_client_for):
    w = o311
    response = post(
        http,
        w.open311_key,
        description="东湖路 18 号门口有车辆长期占用盲道\n联系电话 13912345678",
        first_name="三",
        last_name="张",
        phone="13912345678",
        email="zhangsan@example.com",
        **{
            "attribute[count]": "2",
            "attribute[seen_at]": "2026-11-27T08:30:00+08:00",
            "attribute[kind]": "小汽车",
            "attribute[blocking]": "true",
            "attribute[sides][]": ["盲道", "人行道"],
            "attribute[detail]": "早高峰\n影响通行",
            "attribute[day]": "2026-11-27",
            "address_string": "东湖路 18 号",
            "device_id": "dev-1",
            "account_id": "acc-9",
        },
    )
    assert response.status_code == 200, response.content.decode()
    [row] = valid_json(response, "swagger:RequestResponse")
    case = Case.objects.get(number=row["service_request_id"])
    assert row["service_notice"] == "城管部门将在 3 个工作日内处理。" and row["account_id"] == "acc-9"
    details = case.event
    assert (details.channel, details.category.code, case.status) == ("open311", "0199", "reported")
    assert details.reporter_name == "张三" and details.reporter_phone == "13912345678"
    assert details.answers["sides"] == ["人行道", "盲道"] and details.answers["blocking"] is True
    assert details.answers["seen_at"] == "2026-11-27T08:30:00+08:00"
    assert case.title == "东湖路 18 号门口有车辆长期占用盲道"
    assert case.created_by == w.open311_client.user
    assert SubmittedRequest.objects.get(case=case).email == "zhangsan@example.com"

    # The command centre sees it in its inbox (the API's "new" queue), like any other event.
    inbox = api_client_for("township").get("/api/v1/events/", {"queue": "to_register"}).json()
    assert case.number in [row["number"] for row in inbox["results"]]

    # GET shows it open, with no personal data anywhere.
    got = http.get(f"/open311/v2/requests/{case.number}.json", {"api_key": w.open311_key})
    [open_row] = valid_json(got, "requests.json")
    assert open_row["status"] == "open"
    text = got.content.decode()
    for secret in ("张三", "13912345678", "zhangsan@example.com", "dev-1"):
        assert secret not in text
    assert "139****5678" in open_row["description"]

    # Handled through the workflow …
    def act(action, user, **payload):
        nonlocal case
        case.refresh_from_db()
        case = do_event_action(case, action, actor=w.user(user), expected_version=case.version, **payload)

    do_update_category(Category.objects.get(code="0199"), actor=None, handling_amount=3)
    act("register", "township")
    act("dispatch", "township", lead_unit=w.units["chengguan"])
    act("accept", "handler")
    photo = do_add_photo(
        case,
        SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        actor=w.user("handler"),
        stage="evidence",
    )
    act("handle", "handler", result="车辆已拖离，盲道已恢复通行", evidence_photos=[photo.pk])
    act("verify", "township")
    act("close", "township")
    got = http.get(f"/open311/v2/requests/{case.number}.json", {"api_key": w.open311_key})
    [closed] = valid_json(got, "requests.json")
    assert closed["status"] == "closed"
    assert "车辆已拖离，盲道已恢复通行" in closed["status_notes"]
    assert closed["agency_responsible"] == w.units["chengguan"].name
    assert closed["expected_datetime"] is not None and closed["expected_datetime"].endswith("+08:00")
    assert closed["updated_datetime"] >= closed["requested_datetime"]
    root = xml_of(http.get(f"/open311/v2/requests/{case.number}.xml", {"api_key": w.open311_key}))
    assert root.tag == "service_requests"
    assert set(shape(root)["request"]) == set(shape(spec_example("service_requests.xml"))["request"])
    assert root.findtext("request/status") == "closed"

    # … and the updates extension tells the story in extended statuses.
    updates = valid_json(http.get("/open311/v2/servicerequestupdates.json", {"api_key": w.open311_key}), None)
    statuses = [u["status"] for u in updates if u["service_request_id"] == case.number]
    assert statuses == ["investigating", "action_scheduled", "in_progress", "in_progress", "fixed", "fixed"]
    assert all(
        set(u) >= {"update_id", "service_request_id", "status", "updated_datetime", "description"}
        for u in updates
    )
    case.refresh_from_db()
    do_callback_event(
        case,
        actor=w.user("township"),
        expected_version=case.version,
        contacted=True,
        resolved=True,
        satisfaction="satisfied",
    )


def test_post_form_encoded_multipart_media_and_xml_answer(o311, http):
    media = SimpleUploadedFile("scene.png", PNG, content_type="image/png")
    response = post(
        http,
        o311.open311_key,
        fmt="xml",
        media=media,
        media_url="https://example.org/p/1.jpg",
        account_id="a-1",
    )
    assert response.status_code == 200
    root = xml_of(response)
    assert shape(root) == {"request": {"service_request_id": {}, "service_notice": {}, "account_id": {}}}
    assert set(shape(root)["request"]) == set(shape(spec_example("post_service_request.xml"))["request"])
    case = Case.objects.get(number=root.findtext("request/service_request_id"))
    assert EventPhoto.objects.filter(case=case, stage="report").count() == 1
    row = valid_json(
        http.get(f"/open311/v2/requests/{case.number}.json", {"api_key": o311.open311_key}), "requests.json"
    )[0]
    assert row["media_url"] == "https://example.org/p/1.jpg"


def test_post_with_a_photo_only_gets_a_signed_media_link(o311, http):
    response = post(http, o311.open311_key, media=SimpleUploadedFile("s.png", PNG, content_type="image/png"))
    number = valid_json(response, None)[0]["service_request_id"]
    row = valid_json(
        http.get(f"/open311/v2/requests/{number}.json", {"api_key": o311.open311_key}), "requests.json"
    )[0]
    assert "/open311/media/" in row["media_url"]
    assert b"".join(http.get(row["media_url"]).streaming_content) == PNG
    forged = row["media_url"].rstrip("/").rsplit("/", 1)[0] + "/1:forged/"
    assert http.get(forged).status_code == 404


def test_location_by_address_string_or_address_id(o311, http):
    by_address = post(http, o311.open311_key, lat=None, long=None, address_string="东湖路与湖滨路路口")
    assert by_address.status_code == 200, by_address.content.decode()
    case = Case.objects.get(number=valid_json(by_address, None)[0]["service_request_id"])
    assert case.area.code == NAMES.county_a and case.event.address == "东湖路与湖滨路路口"
    by_id = post(http, o311.open311_key, lat=None, long=None, address_id=NAMES.village_a1b)
    case = Case.objects.get(number=valid_json(by_id, None)[0]["service_request_id"])
    assert case.area.code == NAMES.village_a1b
    assert SubmittedRequest.objects.get(case=case).address_id == NAMES.village_a1b


@pytest.mark.parametrize(
    ("data", "status", "names"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "cg_deadbeef_nope"}, 403, "api_key"),
        ({"service_code": "9999"}, 404, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat/long"),
        ({"lat": "north"}, 400, "lat"),
        ({"attribute[plate": "x"}, 400, "attribute[plate"),
        ({"attribute[plate]x": "x"}, 400, "attribute[plate]x"),
        ({"attribute[nope]": "x"}, 400, "attribute[nope]"),
        ({"attribute[count]": "many"}, 400, "attribute[count]"),
        ({"attribute[kind]": "飞机"}, 400, "attribute[kind]"),
        ({"attribute[sides][]": ["盲道", "天桥"]}, 400, "attribute[sides]"),
        ({"attribute[kind][]": ["货车", "小汽车"]}, 400, "attribute[kind]"),
        ({"attribute[seen_at]": "yesterday"}, 400, "attribute[seen_at]"),
        ({"attribute[plate]": None}, 400, "attribute[plate]"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"lat": 31.9, "long": 118.8}, 400, "lat/long"),
        ({"service_code": "0101", "attribute[plate]": None}, 400, "media"),  # a required photo
    ],
)
def test_bad_posts_are_refused_naming_the_parameter_and_write_nothing(o311, http, data, status, names):
    before = Case.objects.count()
    response = post(http, o311.open311_key, **data)
    assert response.status_code == status, response.content.decode()
    assert names in errors(response)
    assert Case.objects.count() == before
    assert SubmittedRequest.objects.count() == 0


def test_a_key_is_bound_to_its_area(o311, http):
    response = post(http, o311.open311_key, lat=IN_COUNTY_B[1], long=IN_COUNTY_B[0])
    assert response.status_code == 403
    assert "location" in errors(response)
    assert Case.objects.count() == 0
    # A case reported elsewhere is invisible to the key: a miss looks like a missing request.
    other_key = do_create_client(actor=None, name="江西区", area=o311.area(NAMES.county_b))[1]
    number = valid_json(post(http, other_key, lat=IN_COUNTY_B[1], long=IN_COUNTY_B[0]), None)[0][
        "service_request_id"
    ]
    assert http.get(f"/open311/v2/requests/{number}.json", {"api_key": o311.open311_key}).status_code == 404
    listed = valid_json(http.get("/open311/v2/requests.json", {"api_key": o311.open311_key}), "requests.json")
    assert number not in {r["service_request_id"] for r in listed}
    mine = valid_json(http.get("/open311/v2/requests.json", {"api_key": other_key}), "requests.json")
    assert [r["service_request_id"] for r in mine] == [number]


def test_revoked_and_rotated_keys_are_refused_at_once(o311, http):
    client = o311.open311_client
    new_key = do_rotate_key(client, actor=None)
    assert post(http, o311.open311_key).status_code == 403
    assert post(http, new_key).status_code == 200
    do_revoke_client(Client.objects.get(pk=client.pk), actor=None)
    response = post(http, new_key)
    assert response.status_code == 403


def test_session_login_gives_no_access_and_no_csrf_hole(o311, http):
    http.force_login(o311.user("city"))
    assert http.get("/open311/v2/requests.json").status_code == 403
    assert post(http, None).status_code == 403


def test_rate_limit_per_client(o311, http):
    client = o311.open311_client
    client.requests_per_minute = 3
    client.save()
    codes = [
        http.get("/open311/v2/requests.json", {"api_key": o311.open311_key}).status_code for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    response = http.get("/open311/v2/requests.json", {"api_key": o311.open311_key})
    assert response["Retry-After"] == "60"


def test_every_call_is_logged(o311, http):
    post(http, o311.open311_key)
    http.get("/open311/v2/services.json")
    http.get("/open311/v2/requests.json", {"api_key": "cg_bad_key"})
    calls = list(Call.objects.order_by("id").values_list("endpoint", "method", "status", "error_code"))
    assert calls == [
        ("requests", "POST", 200, ""),
        ("services", "GET", 200, ""),
        ("requests", "GET", 403, "invalid_api_key"),
    ]
    first, _, bad = Call.objects.order_by("id")
    assert first.case_number.startswith("20") and first.client == o311.open311_client
    assert "cg_bad_key" not in bad.path and bad.key_prefix == "bad_key"  # the key never sits in the log


# --- GET requests -----------------------------------------------------------------------------------


def test_get_requests_filters_window_and_paging(o311, http):
    key = o311.open311_key
    numbers = [valid_json(post(http, key), None)[0]["service_request_id"] for _ in range(3)]

    def get(**q):
        return valid_json(http.get("/open311/v2/requests.json", {"api_key": key, **q}), "requests.json")

    assert [r["service_request_id"] for r in get()] == numbers[::-1]
    assert [r["service_request_id"] for r in get(service_request_id=f"{numbers[0]},{numbers[2]}")] == [
        numbers[2],
        numbers[0],
    ]
    assert len(get(service_code="0199")) == 3 and get(service_code="0101") == []
    assert len(get(status="open")) == 3 and get(status="closed") == []
    assert len(get(status="open,closed")) == 3
    assert len(get(page_size="2")) == 2 and len(get(page_size="2", page="2")) == 1
    assert get(start_date="2020-01-01T00:00:00+08:00", end_date="2020-02-01T00:00:00+08:00") == []
    assert len(get(status="", service_code="", start_date="")) == 3  # empty = absent
    for bad, name in (
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "0"}, "page"),
    ):
        response = http.get("/open311/v2/requests.json", {"api_key": key, **bad})
        assert response.status_code == 400 and name in errors(response)
    root = xml_of(http.get("/open311/v2/requests.xml", {"api_key": key}))
    assert root.tag == "service_requests" and len(root) == 3
    empty = xml_of(http.get("/open311/v2/requests.xml", {"api_key": key, "status": "closed"}))
    assert shape(empty) == shape(spec_example("service_requests_empty.xml"))


def test_get_one_unknown_is_404(o311, http):
    response = http.get("/open311/v2/requests/2026-338001-999999.xml", {"api_key": o311.open311_key})
    assert response.status_code == 404
    assert "service_request_id" in errors(response, "xml")


def test_batch_services_answer_tokens(o311, http, settings):
    settings.CIVICGRID_OPEN311 = {"BATCH": True}
    services = valid_json(http.get("/open311/v2/services.json"), "services.json")
    assert {s["type"] for s in services} == {"batch"}
    [row] = valid_json(post(http, o311.open311_key), "swagger:RequestResponse")
    assert "service_request_id" not in row and row["token"]
    [resolved] = valid_json(
        http.get(f"/open311/v2/tokens/{row['token']}.json", {"api_key": o311.open311_key}),
        "swagger:TokenResponse",
    )
    assert (
        resolved["token"] == row["token"]
        and Case.objects.filter(number=resolved["service_request_id"]).exists()
    )
    root = xml_of(http.get(f"/open311/v2/tokens/{row['token']}.xml", {"api_key": o311.open311_key}))
    assert shape(root) == shape(spec_example("request_id_from_token.xml"))
    other_key = do_create_client(actor=None, name="别家", area=o311.area(NAMES.county_a))[1]
    assert http.get(f"/open311/v2/tokens/{row['token']}.json", {"api_key": other_key}).status_code == 404


def test_updates_post_adds_a_reporter_note_and_never_moves_the_case(o311, http):
    number = valid_json(post(http, o311.open311_key), None)[0]["service_request_id"]
    response = http.post(
        "/open311/v2/servicerequestupdates.json",
        {
            "api_key": o311.open311_key,
            "service_request_id": number,
            "status": "CLOSED",
            "description": "车已经开走了",
        },
    )
    [row] = valid_json(response, None)
    case = Case.objects.get(number=number)
    entry = case.timeline.get(pk=row["update_id"])
    assert (entry.action, entry.note, entry.data) == (
        "reporter_update",
        "车已经开走了",
        {"says_resolved": True},
    )
    assert case.status == "reported"
    xml = http.post(
        "/open311/v2/servicerequestupdates.xml",
        {"api_key": o311.open311_key, "service_request_id": number, "description": "补充"},
    )
    assert xml_of(xml).tag == "service_request_updates"
    bad = http.post(
        "/open311/v2/servicerequestupdates.json",
        {"api_key": o311.open311_key, "service_request_id": number, "status": "maybe"},
    )
    assert bad.status_code == 400 and "status" in errors(bad)
    missing = http.post(
        "/open311/v2/servicerequestupdates.json", {"api_key": o311.open311_key, "service_request_id": "x"}
    )
    assert missing.status_code == 404


def test_management_command_prints_a_working_key(o311, http, capsys):
    call_command(
        "open311_client", "create", "--name", "西湖热线", "--area", NAMES.township_a2, "--rate", "30"
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("cg_")
    assert Client.objects.get(name="西湖热线").requests_per_minute == 30
    assert http.get("/open311/v2/requests.json", {"api_key": key}).status_code == 200
    call_command("open311_client", "revoke", "--name", "西湖热线")
    assert http.get("/open311/v2/requests.json", {"api_key": key}).status_code == 403
    call_command("open311_client", "list")
    assert "西湖热线" in capsys.readouterr().out


def test_old_call_log_rows_are_purged(o311, http, settings):
    from civicgrid.open311.tasks import purge_calls

    http.get("/open311/v2/services.json")
    with time_machine.travel(dt.timedelta(days=181)):
        http.get("/open311/v2/services.json")
        assert purge_calls() == 1
        assert purge_calls() == 0
    assert Call.objects.count() == 1


def test_control_characters_in_stored_text_keep_the_xml_well_formed(o311, http):
    number = valid_json(post(http, o311.open311_key, description="路口\x0b垃圾\x01堆放"), None)[0][
        "service_request_id"
    ]
    root = xml_of(http.get(f"/open311/v2/requests/{number}.xml", {"api_key": o311.open311_key}))
    assert root.findtext("request/description") == "路口\ufffd垃圾\ufffd堆放"


def test_events_of_internal_classes_are_never_served(o311, http):
    from civicgrid.events.intake import report_event

    hidden = report_event(
        actor=None,
        title="特殊人群走访",
        channel="grid_patrol",
        category="1301",
        lon=IN_GRID[0],
        lat=IN_GRID[1],
    ).case
    shown = valid_json(post(http, o311.open311_key), None)[0]["service_request_id"]
    for case in Case.objects.filter(number__in=[hidden.number, shown]):
        do_event_action(case, "register", actor=o311.user("township"), expected_version=case.version)
    key = {"api_key": o311.open311_key}
    listed = {r["service_request_id"] for r in valid_json(http.get("/open311/v2/requests.json", key), None)}
    assert listed == {shown}
    assert http.get(f"/open311/v2/requests/{hidden.number}.json", key).status_code == 404
    updates = valid_json(http.get("/open311/v2/servicerequestupdates.json", key), None)
    assert {u["service_request_id"] for u in updates} == {shown}
