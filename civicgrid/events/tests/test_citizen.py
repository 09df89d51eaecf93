"""The citizen pages: report through the intake pipeline (channel citizen, actor None), the query
code, following by number + code or phone, the public timeline, rating once per closure — and the
ways to abuse them: enumeration, wrong codes, throttling, emergencies, hidden categories, bad photos,
points outside the jurisdiction, missing location, XSS, CSRF, rating before close or twice."""

# ruff: noqa: F811  (the imported pytest fixtures are parameters by design)
from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicgrid.audit.models import ObjectChange
from civicgrid.cases.models import Case
from civicgrid.events.citizen_forms import new_challenge
from civicgrid.events.models import CitizenAccess, EventDetails
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401 (fixtures)
    IN_GRID,
    PNG,
    act,
    events_world,
    evidence,
    media,
)

pytestmark = pytest.mark.django_db

REPORT = reverse("events:citizen_report")
FOLLOW = reverse("events:citizen_follow")
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def form_data(**kw):
    token, a, b = new_challenge()
    data = {
        "description": "东湖路口有一堆生活垃圾，已经好几天没人清理",
        "category": "0101",
        "lon": IN_GRID[0],
        "lat": IN_GRID[1],
        "area_code": "",
        "address": "东湖路 12 号",
        "reporter_name": "李四",
        "reporter_phone": PHONE,
        "challenge": token,
        "challenge_answer": a + b,
        "submission_key": uuid.uuid4().hex,
        "photos": [SimpleUploadedFile("scene.png", PNG, content_type="image/png")],
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def submit(client, ip="10.0.0.1", **kw):
    return client.post(REPORT, form_data(**kw), REMOTE_ADDR=ip)


def ticket(response) -> tuple[str, str]:
    html = response.content.decode()
    number = re.search(r'id="citizen-number">([^<]+)<', html).group(1)
    code = re.search(r'id="citizen-code">([^<]+)<', html).group(1)
    return number, code


def follow(client, number, secret, ip="10.0.0.2"):
    return client.post(FOLLOW, {"number": number, "secret": secret}, REMOTE_ADDR=ip)


def close_case(world, number):
    """The staff side of the loop, through the services."""
    case = Case.objects.get(number=number)
    act(world, case, "register", "township")
    act(world, case, "dispatch", "township", note="内部备注：请王科长亲自处理")
    act(world, case, "accept", "handler")
    photo = evidence(world, case)
    act(world, case, "handle", "handler", result="垃圾已清运完毕", evidence_photos=[photo.pk])
    act(world, case, "verify", "township")
    return act(world, case, "close", "township")


def rate(client, number, **kw):
    data = {"satisfaction": "satisfied", "resolved": "yes", "comment": ""}
    data.update(kw)
    return client.post(reverse("events:citizen_rate", args=[number]), data, REMOTE_ADDR="10.0.0.3")


# --- report ---------------------------------------------------------------------------------------


def test_report_page_is_public_and_offers_only_public_non_emergency_categories(client, events_world):
    page = client.get(REPORT)
    assert page.status_code == 200
    html = page.content.decode()
    assert "csrfmiddlewaretoken" in html
    assert 'value="0101"' in html  # 暴露垃圾
    assert 'value="0405"' not in html  # 火灾 → 119, never offered
    assert 'value="1301"' not in html  # 特殊人群服务: hidden from citizens
    for phone in ("110", "119", "120", "122"):
        assert f'href="tel:{phone}"' in html
    assert 'value="338001001001"' in html  # a village to choose without the map


def test_report_goes_through_intake_as_citizen_and_returns_number_and_code(client, events_world):
    page = submit(client)
    assert page.status_code == 200, page.content.decode()[:2000]
    number, code = ticket(page)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    case = Case.objects.get(number=number)
    assert (case.status, case.created_by, case.grid.code) == ("reported", None, "338001001001001")
    details = case.event
    assert (details.channel, details.reporter_name, details.reporter_phone) == ("citizen", "李四", PHONE)
    assert details.category.code == "0101"
    assert case.event_photos.count() == 1
    access = CitizenAccess.objects.get(case=case)
    assert code.replace("-", "") not in access.code_hash
    assert check_password(code.replace("-", ""), access.code_hash)
    # Audited: the case, its details and the access row (without the hash).
    rows = ObjectChange.objects.filter(object_type="events.citizenaccess")
    assert rows.count() == 1 and "code_hash" not in (rows.get().after or {})


def test_double_submit_makes_one_event_and_shows_the_same_code(client, events_world):
    data = form_data()
    key = data["submission_key"]
    first = submit(client, submission_key=key)
    second = submit(client, submission_key=key)
    assert ticket(first) == ticket(second)
    assert Case.objects.count() == 1
    assert "您已提交过" in second.content.decode()


def test_a_foreign_idempotency_key_is_not_returned(client, events_world):
    """A staff event's key cannot be replayed through the citizen form to read it."""
    from civicgrid.events.tests.test_event_workflow import report

    report(events_world, idempotency_key="citizen:" + "a" * 32)
    page = submit(client, submission_key="a" * 32)
    assert page.status_code == 400
    assert "表单已失效" in page.content.decode()


def test_village_from_the_list_without_a_point(client, events_world):
    page = submit(client, lon="", lat="", area_code="338001002201", category="", photos=[])
    assert page.status_code == 200
    case = Case.objects.get(number=ticket(page)[0])
    assert (case.area.code, case.grid, case.lon) == ("338001002201", None, None)


def test_missing_location_is_refused_with_nothing_written(client, events_world):
    page = submit(client, lon="", lat="", area_code="")
    assert page.status_code == 400
    assert "请提供事发位置" in page.content.decode()
    assert Case.objects.count() == 0


def test_point_outside_the_jurisdiction_is_refused(client, events_world):
    page = submit(client, lon="116.4", lat="39.9")
    assert page.status_code == 400
    assert 'class="field field--invalid"' in page.content.decode()
    assert Case.objects.count() == 0


def test_unknown_village_code_is_refused(client, events_world):
    page = submit(client, lon="", lat="", area_code="999999999999")
    assert page.status_code == 400
    assert Case.objects.count() == 0


def test_non_image_and_oversized_photos_are_refused(client, events_world, settings):
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>" * 4, content_type="image/png")
    page = submit(client, photos=[fake])
    assert page.status_code == 400
    assert "只能上传 JPEG、PNG 或 WebP" in page.content.decode()
    settings.CIVICGRID_MAX_PHOTO_MB = 0.00001
    page = submit(client)
    assert page.status_code == 400
    assert "照片不能超过" in page.content.decode()
    assert Case.objects.count() == 0


def test_emergency_and_hidden_categories_are_refused(client, events_world):
    page = submit(client, category="0405")
    assert page.status_code == 400
    assert "119" in page.content.decode()
    page = submit(client, category="1301")
    assert page.status_code == 400
    assert Case.objects.count() == 0


def test_phone_name_description_and_challenge_are_checked(client, events_world):
    for kw, text in (
        ({"reporter_phone": "12345"}, "11 位手机号码"),
        ({"reporter_name": ""}, "请填写您的姓名"),
        ({"reporter_name": "<b>x</b>"}, "姓名不能含数字或符号"),
        ({"description": "垃圾"}, "个字描述问题"),
        ({"challenge_answer": 99}, "计算结果不对"),
        ({"challenge": "forged:token"}, "计算结果不对"),
    ):
        page = submit(client, **kw)
        assert page.status_code == 400, kw
        assert text in page.content.decode(), kw
    assert Case.objects.count() == 0


def test_required_category_question_is_drawn_after_a_refused_submit(client, events_world):
    page = submit(client, category="0301")  # 施工扰民 asks a required yes/no question
    assert page.status_code == 400
    assert 'name="answer_' in page.content.decode()


def test_reports_are_limited_per_ip_and_per_phone(client, events_world, settings):
    settings.CIVICGRID_CITIZEN_REPORTS_PER_IP_HOUR = 2
    assert submit(client, ip="10.9.9.9").status_code == 200
    assert submit(client, ip="10.9.9.9", reporter_phone="13900000001").status_code == 200
    page = submit(client, ip="10.9.9.9", reporter_phone="13900000002")
    assert page.status_code == 429
    assert "操作过于频繁" in page.content.decode()
    settings.CIVICGRID_CITIZEN_REPORTS_PER_PHONE_DAY = 1
    assert submit(client, ip="10.1.1.1", reporter_phone="13900000001").status_code == 429
    assert Case.objects.count() == 2


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client, events_world, settings):
    settings.CIVICGRID_CITIZEN_REPORTS_PER_IP_HOUR = 1
    assert submit(client, ip="10.7.7.7").status_code == 200
    spoofed = client.post(
        REPORT,
        form_data(reporter_phone="13900000003"),
        REMOTE_ADDR="10.7.7.7",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    assert spoofed.status_code == 429


def test_csrf_is_enforced_on_every_citizen_form(events_world):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(REPORT, form_data()).status_code == 403
    assert strict.post(FOLLOW, {"number": "x", "secret": "y"}).status_code == 403
    assert strict.post(reverse("events:citizen_rate", args=["x"]), {}).status_code == 403
    assert Case.objects.count() == 0


# --- follow ---------------------------------------------------------------------------------------


def test_follow_by_number_and_code_or_phone(client, events_world):
    number, code = ticket(submit(client))
    other = Client()
    response = follow(other, number, code.lower().replace("-", " "))
    assert response.status_code == 303
    assert response["Location"] == reverse("events:citizen_case", args=[number])
    page = other.get(response["Location"])
    assert page.status_code == 200
    assert "已提交，等待受理" in page.content.decode()
    third = Client()
    assert follow(third, number, PHONE).status_code == 303


def test_wrong_code_and_unknown_number_look_alike(client, events_world):
    number, code = ticket(submit(client))
    wrong = follow(Client(), number, "ABCD-EFGH")
    unknown = follow(Client(), "2026-338001-999999", code)
    wrong_phone = follow(Client(), number, "13999999999")
    assert wrong.status_code == unknown.status_code == wrong_phone.status_code == 400

    def message(r):
        return re.search(r'id="follow-error">(.*?)</div>', r.content.decode(), re.S).group(1)

    assert message(wrong) == message(unknown) == message(wrong_phone)
    assert number not in message(wrong)


def test_progress_page_needs_the_session_grant(client, events_world):
    number, _code = ticket(submit(client))
    stranger = Client()
    page = stranger.get(reverse("events:citizen_case", args=[number]))
    assert page.status_code == 302
    assert page["Location"].startswith(FOLLOW)
    assert stranger.get(reverse("events:citizen_case", args=["2026-338001-000999"])).status_code == 302


def test_guessing_is_throttled_even_for_the_right_code(client, events_world, settings):
    settings.CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_IP_HOUR = 3
    number, code = ticket(submit(client))
    guesser = Client()
    for i in range(3):
        assert follow(guesser, number, f"AAAA-AAA{i + 2}", ip="10.5.5.5").status_code == 400
    assert follow(guesser, number, code, ip="10.5.5.5").status_code == 429
    assert follow(Client(), number, code, ip="10.5.5.6").status_code == 303


def test_guesses_on_one_number_are_throttled_across_addresses(client, events_world, settings):
    settings.CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_CASE_HOUR = 2
    number, code = ticket(submit(client))
    for i in range(2):
        assert follow(Client(), number, "BBBB-BBBB", ip=f"10.6.6.{i}").status_code == 400
    assert follow(Client(), number, code, ip="10.6.6.9").status_code == 429


def test_staff_reported_events_cannot_be_followed(client, events_world):
    from civicgrid.events.tests.test_event_workflow import report

    case = report(events_world).case
    assert follow(Client(), case.number, "13912345678").status_code == 400


def test_description_is_escaped_when_shown_back(client, events_world):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> 路灯坏了很久'
    number, _code = ticket(submit(client, description=evil))
    html = client.get(reverse("events:citizen_case", args=[number])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_public_timeline_hides_staff_names_units_and_notes(client, events_world):
    w = events_world
    number, _code = ticket(submit(client))
    close_case(w, number)
    html = client.get(reverse("events:citizen_case", args=[number])).content.decode()
    assert "已办结，欢迎评价" in html
    assert "垃圾已清运完毕" in html  # the handling result, once closed
    assert "内部备注" not in html and "王科长" not in html
    for user in ("township", "handler"):
        staff = w.user(user)
        for name in {staff.username, staff.display_name} - {""}:
            assert name not in html
    for unit in ("chengguan", "donghu_office"):
        assert w.units[unit].name not in html
    assert PHONE not in html and "李四" not in html


# --- rate -----------------------------------------------------------------------------------------


def test_rate_before_close_is_refused(client, events_world):
    number, _code = ticket(submit(client))
    page = rate(client, number)
    assert page.status_code == 400
    assert "事件办结后才能评价" in page.content.decode()
    assert Case.objects.get(number=number).status == "reported"


def test_rate_after_close_records_the_callback_once(client, events_world):
    w = events_world
    number, _code = ticket(submit(client))
    close_case(w, number)
    response = rate(client, number, satisfaction="basically", resolved="yes", comment="处理得挺快")
    assert response.status_code == 303
    case = Case.objects.get(number=number)
    assert case.status == "done"
    details = EventDetails.objects.get(case=case)
    assert (details.satisfaction, details.callback_contacted, details.callback_resolved) == (
        "basically",
        True,
        True,
    )
    entry = case.timeline.filter(action="callback").get()
    assert "群众在线评价" in entry.note and "处理得挺快" in entry.note
    assert CitizenAccess.objects.get(case=case).rating_count == 1
    page = client.get(reverse("events:citizen_case", args=[number])).content.decode()
    assert "已回访，评价：基本满意" in page and 'id="rate-form"' not in page
    again = rate(client, number, satisfaction="dissatisfied")
    assert again.status_code == 400
    assert "您已评价过本次办理结果" in again.content.decode()
    assert Case.objects.get(number=number).status == "done"


def test_dissatisfied_reopens_and_a_new_closure_may_be_rated(client, events_world):
    w = events_world
    number, _code = ticket(submit(client))
    close_case(w, number)
    assert rate(client, number, satisfaction="dissatisfied", resolved="no").status_code == 303
    case = Case.objects.get(number=number)
    assert case.status == "accepted" and case.event.reopened_count == 1
    assert rate(client, number).status_code == 400  # reopened: not closed now
    photo = evidence(w, case)
    act(w, case, "handle", "handler", result="再次清运", evidence_photos=[photo.pk])
    act(w, case, "verify", "township")
    act(w, case, "close", "township")
    assert rate(client, number).status_code == 303
    assert Case.objects.get(number=number).status == "done"
    assert CitizenAccess.objects.get(case=case).rating_count == 2


def test_rate_needs_the_session_grant_and_a_valid_choice(client, events_world):
    w = events_world
    number, _code = ticket(submit(client))
    close_case(w, number)
    assert rate(Client(), number).status_code == 404
    page = rate(client, number, satisfaction="excellent")
    assert page.status_code == 400
    assert Case.objects.get(number=number).status == "closed"


def test_staff_see_the_citizen_masked(client, events_world):
    number, _code = ticket(submit(client))
    staff = Client()
    staff.force_login(events_world.user("county"))
    html = staff.get(reverse("cases:detail", args=[number])).content.decode()
    assert "138****5678" in html
    assert PHONE not in html


def test_township_boundaries_are_served_for_the_map(client, events_world):
    data = client.get(reverse("events:citizen_areas")).json()
    names = {f["properties"]["name"] for f in data["features"]}
    assert {"东湖街道", "西湖街道", "北山镇"} <= names


def test_ipv6_addresses_count_by_their_64_network(client, events_world, settings):
    from civicgrid.events.citizen_services import address_key

    assert address_key("2001:db8:1:2::a") == address_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    settings.CIVICGRID_CITIZEN_REPORTS_PER_IP_HOUR = 1
    assert submit(client, ip="2001:db8:1:2::a").status_code == 200
    assert submit(client, ip="2001:db8:1:2::b", reporter_phone="13900000004").status_code == 429


def test_a_staff_callback_first_ends_the_rating(client, events_world):
    from civicgrid.events.services import do_callback_event

    w = events_world
    number, _code = ticket(submit(client))
    case = close_case(w, number)
    do_callback_event(case, actor=w.user("township"), expected_version=case.version, satisfaction="satisfied")
    page = rate(client, number, satisfaction="dissatisfied")
    assert page.status_code == 400
    assert "工作人员已就本次办理结果回访过您" in page.content.decode()
    assert Case.objects.get(number=number).status == "done"
