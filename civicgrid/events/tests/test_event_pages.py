"""The event pages: each action form on the case page (valid → the service's exact effect; invalid →
a field error and nothing written), the event panel, the inbox filters, scoped photo serving, the
logged reveal, the photo upload, and the intake form and grid-worker report."""

# ruff: noqa: F811  (the imported pytest fixtures are parameters by design)
from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Assignment, Case
from civicgrid.events.models import EventDetails, EventPhoto
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401 (fixtures)
    IN_GRID,
    PNG,
    act,
    counts,
    events_world,
    evidence,
    media,
    png,
    report,
)

pytestmark = pytest.mark.django_db


def login(client, world, name):
    client.force_login(world.user(name))
    return client


def post_action(client, case, action, **fields):
    case.refresh_from_db()
    data = {f"{action}-expected_version": case.version}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(reverse("cases:act", args=[case.number, action]), data)


# --- the panel and the action forms ----------------------------------------------------------------


def test_panel_shows_category_channel_masked_reporter_and_photo(client, events_world):
    w = events_world
    case = report(w).case
    page = login(client, w, "county").get(reverse("cases:detail", args=[case.number]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="event-panel"' in html
    assert "暴露垃圾" in html and "0101" in html
    assert '<dd id="event-channel">网格巡查</dd>' in html
    assert "张* · 139****5678" in html
    assert "13912345678" not in html
    photo = EventPhoto.objects.get(case=case)
    assert reverse("events:photo", args=[photo.pk]) in html
    assert "/media/" not in html
    # The register form preselects the category; the reveal button is there for a dispatcher.
    assert 'value="0101" selected' in html
    assert 'id="reveal-reporter"' in html


def test_register_form_sets_the_category(client, events_world):
    w = events_world
    case = report(w, category=None, title="路边垃圾堆放", description="生活垃圾").case
    assert case.event.category is None
    response = post_action(login(client, w, "county"), case, "register", category="0102")
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == "registered"
    assert EventDetails.objects.get(case=case).category.code == "0102"


def test_register_with_unknown_category_is_a_field_error(client, events_world):
    w = events_world
    case = report(w).case
    before = counts()
    response = post_action(login(client, w, "county"), case, "register", category="9999")
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "reported"


def test_dispatch_form_preselects_catalogue_and_dispatches(client, events_world):
    w = events_world
    case = act(w, report(w).case, "register", "county")
    c = login(client, w, "county")
    html = c.get(reverse("cases:detail", args=[case.number])).content.decode()
    chengguan, donghu = w.units["chengguan"], w.units["donghu_office"]
    assert f'<option value="{chengguan.pk}" selected>' in html
    assert "已按派单目录预选" in html
    # Another county's unit is not offered to a county dispatcher.
    assert f'<option value="{w.units["beishan_office"].pk}"' not in html
    response = post_action(c, case, "dispatch", lead_unit=donghu.pk, co_units=[chengguan.pk])
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == "dispatched"
    assert case.lead_unit == donghu
    assert set(Assignment.objects.filter(case=case).values_list("unit_id", "role")) == {
        (donghu.pk, "lead"),
        (chengguan.pk, "co"),
    }


def test_dispatch_to_a_unit_out_of_sight_is_refused(client, events_world):
    w = events_world
    case = act(w, report(w).case, "register", "county")
    before = counts()
    response = post_action(
        login(client, w, "county"), case, "dispatch", lead_unit=w.units["beishan_office"].pk
    )
    assert response.status_code == 400
    assert "单位“北山镇人民政府”不可选" in response.content.decode()
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "registered"


def _accepted(w):
    case = act(w, report(w).case, "register", "county")
    case = act(w, case, "dispatch", "county")
    return act(w, case, "accept", "handler")


def test_handle_form_uses_uploaded_evidence(client, events_world):
    w = events_world
    case = _accepted(w)
    c = login(client, w, "handler")
    up = c.post(
        reverse("events:upload_photo", args=[case.number]), {"photo": png("after.png"), "stage": "evidence"}
    )
    assert up.status_code == 303
    photo = EventPhoto.objects.get(case=case, stage="evidence")
    html = c.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert f'value="{photo.pk}"' in html and "checked" in html
    response = post_action(c, case, "handle", result="已清运完毕", evidence_photos=[photo.pk])
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == "handled"
    details = EventDetails.objects.get(case=case)
    assert details.result == "已清运完毕"
    entry = case.timeline.filter(action="handle").get()
    assert entry.data["evidence_photos"] == [photo.pk]


def test_handle_without_evidence_is_a_field_error(client, events_world):
    w = events_world
    case = _accepted(w)
    before = counts()
    response = post_action(login(client, w, "handler"), case, "handle", result="已清运")
    assert response.status_code == 400
    assert "请上传处置后的现场照片作为佐证" in response.content.decode()
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "accepted"


def test_upload_of_a_non_image_changes_nothing(client, events_world):
    w = events_world
    case = _accepted(w)
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    c = login(client, w, "handler")
    response = c.post(
        reverse("events:upload_photo", args=[case.number]),
        {
            "photo": SimpleUploadedFile("x.png", b"not an image", content_type="image/png"),
            "stage": "evidence",
        },
        follow=True,
    )
    assert "只能上传 JPEG、PNG 或 WebP 格式的照片" in response.content.decode()
    assert counts() == before


def _closed(w):
    case = _accepted(w)
    photo = evidence(w, case)
    case = act(w, case, "handle", "handler", result="已清运", evidence_photos=[photo.pk])
    case = act(w, case, "verify", "county")
    return act(w, case, "close", "county")


def test_callback_form_satisfied_and_dissatisfied(client, events_world):
    w = events_world
    case = _closed(w)
    c = login(client, w, "county")
    response = post_action(c, case, "callback", contacted="on", resolved="on", satisfaction="satisfied")
    assert response.status_code == 303
    case.refresh_from_db()
    d = EventDetails.objects.get(case=case)
    assert (case.status, d.satisfaction, d.callback_contacted, d.callback_resolved) == (
        "done",
        "satisfied",
        True,
        True,
    )


def test_callback_dissatisfied_reopens(client, events_world):
    w = events_world
    case = _closed(w)
    response = post_action(
        login(client, w, "county"), case, "callback", contacted="on", satisfaction="dissatisfied"
    )
    assert response.status_code == 303
    case.refresh_from_db()
    d = EventDetails.objects.get(case=case)
    assert (case.status, d.satisfaction, d.reopened_count, d.callback_resolved) == (
        "accepted",
        "dissatisfied",
        1,
        False,
    )


def test_callback_without_satisfaction_is_a_field_error(client, events_world):
    w = events_world
    case = _closed(w)
    before = counts()
    response = post_action(login(client, w, "county"), case, "callback", contacted="on")
    assert response.status_code == 400
    assert "请选择满意度" in response.content.decode()
    assert counts() == before


def test_merge_form_by_number(client, events_world):
    w = events_world
    original = report(w).case
    dup = report(w, title="又见暴露垃圾").case
    c = login(client, w, "county")
    assert f'value="{original.number}"' in c.get(reverse("cases:detail", args=[dup.number])).content.decode()
    response = post_action(c, dup, "merge", into=original.number)
    assert response.status_code == 303
    dup.refresh_from_db()
    original.refresh_from_db()
    assert (dup.status, dup.duplicate_of_id, original.plus_ones) == ("merged", original.pk, 1)


def test_merge_into_unknown_number_is_a_field_error(client, events_world):
    w = events_world
    dup = report(w).case
    before = counts()
    response = post_action(login(client, w, "county"), dup, "merge", into="2026-000000-999999")
    assert response.status_code == 400
    assert "事件“2026-000000-999999”不存在" in response.content.decode()
    assert counts() == before


def test_reject_requires_a_reason(client, events_world):
    w = events_world
    case = report(w).case
    before = counts()
    c = login(client, w, "county")
    assert post_action(c, case, "reject").status_code == 400
    assert counts() == before
    assert post_action(c, case, "reject", note="不属于受理范围").status_code == 303
    case.refresh_from_db()
    assert case.status == "rejected"


def test_inbox_filters_by_category_and_channel(client, events_world):
    w = events_world
    garbage = report(w).case
    hotline = report(w, channel="hotline_12345", category="0102", title="垃圾桶满溢").case
    c = login(client, w, "county")
    url = reverse("cases:inbox")

    def numbers(query):
        html = c.get(url, {"queue": "all", **query}).content.decode()
        return {n for n in (garbage.number, hotline.number) if f'data-number="{n}"' in html}

    assert numbers({"channel": "hotline_12345"}) == {hotline.number}
    assert numbers({"category": "0101"}) == {garbage.number}
    assert numbers({"category": "01"}) == {garbage.number, hotline.number}
    assert numbers({"channel": "grid_patrol"}) == {garbage.number}


# --- photos and reveal ------------------------------------------------------------------------------


def test_photo_served_to_readers_only(client, events_world):
    w = events_world
    case = report(w).case
    photo = EventPhoto.objects.get(case=case)
    url = reverse("events:photo", args=[photo.pk])
    response = login(client, w, "county").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    client.logout()
    assert login(client, w, "outsider").get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_reveal_writes_the_access_log(client, events_world):
    w = events_world
    case = report(w).case
    before = AccessLog.objects.count()
    response = login(client, w, "county").post(reverse("events:reveal", args=[case.number]))
    assert response.status_code == 200
    assert "张三 · 13912345678" in response.content.decode()
    assert AccessLog.objects.count() == before + 1
    row = AccessLog.objects.latest("id")
    assert (row.fields, row.object_id, row.actor_id) == (
        ["reporter_name", "reporter_phone"],
        str(case.pk),
        w.user("county").pk,
    )


def test_reveal_refused_without_permission_logs_nothing(client, events_world):
    w = events_world
    case = report(w).case
    before = AccessLog.objects.count()
    # The grid worker reads the case but may not reveal personal data; the outsider cannot read it.
    assert (
        login(client, w, "gridworker").post(reverse("events:reveal", args=[case.number])).status_code == 404
    )
    client.logout()
    assert login(client, w, "outsider").post(reverse("events:reveal", args=[case.number])).status_code == 404
    assert AccessLog.objects.count() == before


# --- intake ---------------------------------------------------------------------------------------------


def intake_data(**kw):
    data = {
        "title": "东湖路井盖缺失",
        "description": "路口井盖缺失",
        "channel": "hotline_12345",
        "category": "1201",
        "lon": str(IN_GRID[0]),
        "lat": str(IN_GRID[1]),
        "crs": "wgs84",
        "address": "东湖路 12 号",
        "reporter_name": "李四",
        "reporter_phone": "13700001111",
        "idempotency_key": "k-0001",
    }
    data.update(kw)
    return data


def test_intake_form_reports_and_redirects(client, events_world):
    w = events_world
    c = login(client, w, "county")
    page = c.get(reverse("events:new"))
    assert page.status_code == 200
    assert 'name="idempotency_key"' in page.content.decode()
    response = c.post(reverse("events:new"), {**intake_data(), "photos": [png(), png("b.png")]})
    assert response.status_code == 303
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    d = case.event
    assert (case.title, d.channel, d.category.code, d.address, d.reporter_phone, d.idempotency_key) == (
        "东湖路井盖缺失",
        "hotline_12345",
        "1201",
        "东湖路 12 号",
        "13700001111",
        "k-0001",
    )
    assert case.grid.code == "338001001001001"
    assert EventPhoto.objects.filter(case=case, stage="report").count() == 2
    # The same submission again (same key) returns the same event, writes nothing.
    before = counts()
    again = c.post(reverse("events:new"), intake_data())
    assert again["Location"] == response["Location"]
    assert counts() == before


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"title": ""}, "title", "请填写标题"),
        ({"lon": "", "lat": ""}, "lon", "请提供事发位置（经纬度）或所在区划代码"),
        ({"category": "9999"}, "category", "选择一个有效的选项"),
        ({"lon": "abc"}, "lon", "经度应为数字"),
        ({"lon": "130.5", "lat": "45.0"}, "lon", ""),
    ],
)
def test_intake_form_errors_next_to_fields(client, events_world, change, field, message):
    w = events_world
    before = counts()
    response = login(client, w, "county").post(reverse("events:new"), intake_data(**change))
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert message in form.errors[field][0]
    assert counts() == before


def test_intake_form_refuses_non_image_photo(client, events_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    w = events_world
    before = counts()
    bad = SimpleUploadedFile("x.jpg", b"GIF89a....", content_type="image/jpeg")
    response = login(client, w, "county").post(reverse("events:new"), {**intake_data(), "photos": [bad]})
    assert response.status_code == 400
    assert response.context["form"].errors["photos"] == ["只能上传 JPEG、PNG 或 WebP 格式的照片"]
    assert counts() == before


def test_intake_typed_questions_render_and_validate(client, events_world):
    from civicgrid.events.models import Category

    w = events_world
    cat = Category.objects.get(code="1201")
    cat.required_fields = [{"key": "volume", "label": "垃圾量（立方米）", "type": "number", "required": True}]
    cat.save(update_fields=["required_fields"])
    c = login(client, w, "county")
    before = counts()
    response = c.post(reverse("events:new"), intake_data())
    assert response.status_code == 400
    assert response.context["form"].errors["answer_volume"] == ["请填写“垃圾量（立方米）”"]
    assert 'name="answer_volume"' in response.content.decode()
    assert counts() == before
    ok = c.post(reverse("events:new"), intake_data(answer_volume="2.5"))
    assert ok.status_code == 303
    assert Case.objects.get().event.answers == {"volume": 2.5}


def test_grid_report_uses_grid_patrol(client, events_world):
    w = events_world
    c = login(client, w, "gridworker")
    page = c.get(reverse("events:report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="use-my-location"' in html and 'name="channel"' not in html
    data = intake_data(channel="web", idempotency_key="g-1")
    response = c.post(reverse("events:report"), {**data, "photos": [png()]})
    assert response.status_code == 303
    case = Case.objects.get()
    assert (case.event.channel, case.created_by, case.event_photos.count()) == (
        "grid_patrol",
        w.user("gridworker"),
        1,
    )


def test_intake_refused_to_a_user_who_may_report_nowhere(client, events_world):
    w = events_world
    c = login(client, w, "handler")
    assert c.get(reverse("events:new")).status_code == 403
    before = counts()
    assert c.post(reverse("events:new"), intake_data()).status_code == 403
    assert counts() == before
