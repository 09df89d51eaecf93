"""The desk's pages: the queue and the register form, the visit page, routing, answering, urging,
reveals and the receipt, with CSRF, field errors in place and 404 for everyone out of scope."""

import pytest
from django.test import Client

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case
from civicgrid.desk.models import Visit
from tests.world import NAMES

pytestmark = pytest.mark.django_db


def client_for(username):
    from civicgrid.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def register_post(**extra):
    data = {
        "title": "工资拖欠三个月",
        "description": "工地老板拖欠工资",
        "people_count": "6",
        "grid_code": NAMES.grid_a1a_1,
        "p0_role": "visitor",
        "p0_kind": "person",
        "p0_name": "王五",
        "p0_id_card": "11010519491231002X",
        "p0_phone": "13912345678",
        "p1_role": "other_party",
        "p1_kind": "organisation",
        "p1_name": "某建筑公司",
        "p2_role": "other_party",
        "p2_kind": "person",
        "p3_role": "other_party",
        "p3_kind": "person",
    }
    data.update(extra)
    return data


def test_desk_page_registers_a_visit(desk_world):
    client = client_for("township")
    page = client.get("/desk/")
    assert page.status_code == 200 and "来访登记" in page.content.decode()
    response = client.post("/desk/", register_post())
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/"
    assert visit.is_group and visit.parties.count() == 2  # the empty rows are skipped
    detail = client.get(response["Location"]).content.decode()
    assert "工资拖欠三个月" in detail and "集体访" in detail
    assert "11010519491231002X" not in detail  # masked
    queue = client.get("/desk/").content.decode()
    assert visit.number in queue


def test_bad_id_card_shows_on_its_row(desk_world):
    client = client_for("township")
    response = client.post("/desk/", register_post(p0_id_card="110105194912310021"))
    assert response.status_code == 400
    body = response.content.decode()
    assert ("field--invalid" in body and "校验" in body) or "身份证" in body
    assert not Visit.objects.exists()


def test_missing_visitor_name_is_a_field_error(desk_world):
    response = client_for("township").post("/desk/", register_post(p0_name=""))
    assert response.status_code == 400 and not Visit.objects.exists()


def test_register_needs_csrf(desk_world):
    from civicgrid.accounts.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="township"))
    assert client.post("/desk/", register_post()).status_code == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize("username", ["gridworker", "handler", "nobody"])
def test_desk_page_refused_without_desk_permission(desk_world, username):
    assert client_for(username).get("/desk/").status_code == 403


def test_outsider_sees_nothing_and_changes_nothing(register, desk_world):
    visit = register()
    outsider = client_for("outsider")
    assert visit.number not in outsider.get("/desk/?status=all").content.decode()
    for url in (f"/desk/visits/{visit.pk}/", f"/desk/visits/{visit.pk}/receipt/"):
        assert outsider.get(url).status_code == 404
    party = visit.parties.first()
    posts = {
        f"/desk/visits/{visit.pk}/route/": {"route": "event", "version": "1"},
        f"/desk/visits/{visit.pk}/answer/": {"answer": "已答复", "version": "1"},
        f"/desk/visits/{visit.pk}/urge/": {"note": "", "version": "1"},
        f"/desk/visits/{visit.pk}/people/{party.pk}/reveal/": {"purpose": "看看"},
    }
    for url, data in posts.items():
        assert outsider.post(url, data).status_code == 404, url
    visit.refresh_from_db()
    assert visit.version == 1 and visit.status == "pending"
    assert not Case.objects.exists() and not AccessLog.objects.exists()


def test_route_to_event_then_receipt_shows_the_code_once(register, desk_world):
    visit = register()
    client = client_for("township")
    response = client.post(f"/desk/visits/{visit.pk}/route/", {"route": "event", "version": "1"})
    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/receipt/"
    visit.refresh_from_db()
    slip = client.get(response["Location"])
    body = slip.content.decode()
    assert visit.case.number in body and 'id="receipt-code"' in body
    assert "张*" in body and "张三" not in body  # the visitor, masked
    assert slip["Cache-Control"] == "no-store"
    again = client.get(response["Location"]).content.decode()
    assert 'id="receipt-code"' not in again and "重新生成查询码" in again
    reissued = client.post(response["Location"]).content.decode()
    assert 'id="receipt-code"' in reissued
    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()
    assert visit.case.number in page and "催办" in page


def test_route_errors_stay_on_the_page(register, desk_world):
    visit = register()
    client = client_for("township")
    stale = client.post(f"/desk/visits/{visit.pk}/route/", {"route": "event", "version": "7"})
    assert stale.status_code == 400 and "刷新" in stale.content.decode()
    missing = client.post(f"/desk/visits/{visit.pk}/route/", {"version": "1"})
    assert missing.status_code == 400
    assert not Case.objects.exists()


def test_leader_reads_but_gets_no_route_form(register, desk_world):
    visit = register()
    body = client_for("leader").get(f"/desk/visits/{visit.pk}/").content.decode()
    assert visit.title in body and 'id="route-form"' not in body and 'id="visit-form"' not in body


def test_answer_and_urge_from_the_page(register, desk_world):
    client = client_for("township")
    answered = register()
    response = client.post(f"/desk/visits/{answered.pk}/answer/", {"answer": "已解释政策", "version": "1"})
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.status == "answered"
    routed = register()
    client.post(f"/desk/visits/{routed.pk}/route/", {"route": "event", "version": "1"})
    routed.refresh_from_db()
    response = client.post(
        f"/desk/visits/{routed.pk}/urge/", {"note": "请加快", "version": str(routed.case.version)}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=routed.case_id).urge_count == 1


def test_reveal_from_the_page_is_logged(register, desk_world):
    visit = register()
    party = visit.parties.get(role="visitor")
    response = client_for("township").post(
        f"/desk/visits/{visit.pk}/people/{party.pk}/reveal/", {"purpose": "核对身份"}
    )
    assert response.status_code == 200 and "11010519491231002X" in response.content.decode()
    assert AccessLog.objects.count() == 1
    # Without a purpose nothing is revealed.
    response = client_for("township").post(f"/desk/visits/{visit.pk}/people/{party.pk}/reveal/", {})
    assert response.status_code == 400 and AccessLog.objects.count() == 1


def test_sealed_visit_page_hides_the_matter(register, desk_world):
    pytest.importorskip("civicgrid.petitions.services")
    from civicgrid.desk import services

    visit = register(username="petition", title="举报某局长收受贿赂", description="详细举报材料")
    services.do_route_visit(
        visit,
        actor=desk_world.user("petition"),
        expected_version=1,
        route="petition",
        options={"petition_class": "accusation"},
    )
    client = client_for("petition")
    for url in (f"/desk/visits/{visit.pk}/", "/desk/?status=routed", f"/desk/visits/{visit.pk}/receipt/"):
        body = client.get(url).content.decode()
        assert "举报某局长" not in body and "详细举报材料" not in body, url
        assert "保密事项" in body


def test_urge_from_the_queue(register, desk_world):
    client = client_for("township")
    visit = register()
    client.post(f"/desk/visits/{visit.pk}/route/", {"route": "event", "version": "1"})
    visit.refresh_from_db()
    queue = client.get("/desk/?status=routed").content.decode()
    assert f'action="/desk/visits/{visit.pk}/urge/"' in queue
    response = client.post(
        f"/desk/visits/{visit.pk}/urge/",
        {"version": str(visit.case.version), "next": "/desk/?status=routed"},
    )
    assert response.status_code == 302 and response["Location"] == "/desk/?status=routed"
    assert Case.objects.get(pk=visit.case_id).urge_count == 1
    # An outside address is never followed.
    response = client.post(
        f"/desk/visits/{visit.pk}/urge/",
        {"version": str(visit.case.version + 1), "next": "https://example.com/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/"


def test_double_submit_registers_once(desk_world):
    client = client_for("township")
    data = register_post(idempotency_key="0f" * 16)
    first, second = client.post("/desk/", data), client.post("/desk/", data)
    assert first["Location"] == second["Location"] and Visit.objects.count() == 1
    assert 'name="idempotency_key"' in client.get("/desk/").content.decode()


def test_nav_filter(desk_world):
    from django.contrib.auth.models import AnonymousUser

    from civicgrid.desk.templatetags.desk_panel import may_use_desk

    assert may_use_desk(desk_world.user("township")) and may_use_desk(desk_world.user("leader"))
    assert not may_use_desk(desk_world.user("gridworker")) and not may_use_desk(AnonymousUser())


def test_petition_receipt_and_rerouting_through_the_pages(register, desk_world):
    pytest.importorskip("civicgrid.petitions.services")
    client = client_for("petition")
    visit = register(username="petition")
    response = client.post(
        f"/desk/visits/{visit.pk}/route/",
        {"route": "dispute", "dispute_type": "neighbour", "version": "1"},
    )
    # The petition officer holds the desk's permission but not the dispute kind's: refused, unchanged.
    assert response.status_code == 400 and "无权在该地点登记" in response.content.decode()
    visit.refresh_from_db()
    assert visit.case is None
    response = client.post(
        f"/desk/visits/{visit.pk}/route/", {"route": "petition", "petition_class": "claim", "version": "1"}
    )
    assert response.status_code == 302
    slip = client.get(response["Location"]).content.decode()
    assert 'id="receipt-code"' in slip
    visit.refresh_from_db()
    township = client_for("township")
    no_note = township.post(
        f"/desk/visits/{visit.pk}/route/",
        {"route": "dispute", "dispute_type": "neighbour", "version": str(visit.version)},
    )
    assert no_note.status_code == 400 and "再次分流请填写原因" in no_note.content.decode()
    rerouted = township.post(
        f"/desk/visits/{visit.pk}/route/",
        {
            "route": "dispute",
            "dispute_type": "neighbour",
            "note": "转人民调解",
            "version": str(visit.version),
        },
    )
    assert rerouted.status_code == 302
    page = township.get(f"/desk/visits/{visit.pk}/").content.decode()
    assert page.count('class="code"') >= 2 and "由原案件再次分流" in page


def test_search_the_queue(register, desk_world):
    first = register(title="噪音扰民")
    second = register(title="物业收费")
    client = client_for("township")

    def found(q):
        body = client.get("/desk/", {"status": "all", "q": q}).content.decode()
        return {v.number for v in (first, second) if v.number in body}

    assert found("物业") == {second.number}
    assert found(first.number) == {first.number}
    assert found("没有这个") == set()
