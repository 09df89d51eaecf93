"""The dispute pages: list, registration, the case page's dispute panel and its steps, the logged
reveal, agreement downloads, the red list, the figures, the risk scheme and conversion from an
event — and what outsiders get (404, nothing changed)."""

import io

import docx
import pytest
from django.utils import timezone

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case
from civicgrid.disputes.models import DisputeDetails, MediationSession, RiskScheme

from .conftest import APPLICANT_ID, parties


@pytest.fixture
def login(client, world):
    def as_(name):
        client.force_login(world.user(name))
        return client

    return as_


def _case_url(case):
    return f"/cases/{case.number}/"


def _agreed(world, register, committee, act):
    case = register()
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    case = act(case, "start", "mediator")
    return act(
        case,
        "agree",
        "mediator",
        agreement_text="张三赔偿李四 3000 元。",
        applicant_confirmed=True,
        respondent_confirmed=True,
    )


def test_list_and_case_page_show_the_dispute_masked(world, register, login):
    case = register()
    page = login("township").get("/disputes/")
    assert page.status_code == 200
    assert case.number in page.text
    page = login("township").get(_case_url(case))
    assert page.status_code == 200
    text = page.text
    assert 'id="dispute-panel"' in text
    assert 'id="risk-history"' in text
    assert "张三" not in text and "张*" in text
    assert APPLICANT_ID not in text
    assert "csrfmiddlewaretoken" in text
    assert login("outsider").get(_case_url(case)).status_code == 404
    assert case.number not in login("outsider").get("/disputes/").text


def test_register_page_creates_a_dispute_and_shows_field_errors(world, login):
    client = login("township")
    assert client.get("/disputes/new/").status_code == 200
    data = {
        "title": "宅基地边界纠纷",
        "description": "两户因宅基地边界争执",
        "dispute_type": "land",
        "source": "walk_in",
        "amount": "",
        "people_count": "2",
        "grid": world.grids["338001001001001"].pk,
        "p0-role": "applicant",
        "p0-kind": "person",
        "p0-name": "张三",
        "p0-id_card": APPLICANT_ID,
        "p1-role": "respondent",
        "p1-kind": "person",
        "p1-name": "李四",
        "p2-role": "third",
        "p2-kind": "person",
    }
    bad = client.post("/disputes/new/", {**data, "p0-id_card": "110101199003071234", "amount": "-5"})
    assert bad.status_code == 400
    assert Case.objects.filter(kind="dispute").count() == 0
    bad = client.post("/disputes/new/", {**data, "p0-id_card": "110101199003071234"})
    assert bad.status_code == 400
    assert "校验位" in bad.text
    response = client.post("/disputes/new/", data)
    assert response.status_code == 303
    case = Case.objects.get(kind="dispute")
    assert case.parties.count() == 2
    assert login("handler").get("/disputes/new/").status_code == 403


def test_reveal_is_logged_and_refused_without_the_permission(world, register, login):
    case = register()
    party = case.parties.get(role="applicant")
    url = f"/disputes/{case.number}/parties/{party.pk}/reveal/"
    for name in ("gridworker", "outsider", "leader"):  # no reveal permission / no reach
        assert login(name).post(url).status_code == 404
    assert not AccessLog.objects.filter(object_id=str(party.pk)).exists()
    page = login("township").post(url)
    assert page.status_code == 200
    assert APPLICANT_ID in page.text
    assert AccessLog.objects.filter(object_id=str(party.pk)).count() == 1


def test_steps_from_the_panel(world, register, committee, act, login):
    case = register()
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    client = login("mediator")
    page = client.get(_case_url(case))
    assert 'id="session-step"' in page.text
    data = {
        "session-expected_version": case.version,
        "session-held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "session-place": "调委会",
        "session-participants": "双方",
        "session-record": "调解",
    }
    # An outsider's post changes nothing (404).
    assert login("outsider").post(f"/disputes/{case.number}/sessions/", data).status_code == 404
    response = login("mediator").post(f"/disputes/{case.number}/sessions/", data, follow=True)
    assert "调解记录已保存" in response.text
    # Case page through the kernel's action route with the dispute's own action form.
    case.refresh_from_db()
    assert MediationSession.objects.filter(case=case).count() == 1
    assert case.version == data["session-expected_version"] + 1
    # A stale version is refused with a message; nothing written.
    response = login("mediator").post(f"/disputes/{case.number}/sessions/", data, follow=True)
    assert "已被他人修改" in response.text
    assert MediationSession.objects.filter(case=case).count() == 1


def test_workflow_buttons_through_the_case_page(world, register, committee, login):
    case = register()
    client = login("township")
    page = client.get(_case_url(case))
    assert 'data-action="accept"' in page.text
    response = client.post(
        f"/cases/{case.number}/actions/accept/",
        {
            "accept-expected_version": case.version,
            "accept-organisation": committee.pk,
            "accept-mediators": [world.user("mediator").pk],
        },
    )
    assert response.status_code == 303, response.text[:500]
    case.refresh_from_db()
    assert case.status == "accepted"
    page = login("mediator").get(_case_url(case))
    assert 'data-action="start"' in page.text
    response = login("mediator").post(
        f"/cases/{case.number}/actions/start/", {"start-expected_version": case.version}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    response = login("mediator").post(
        f"/cases/{case.number}/actions/agree/",
        {
            "agree-expected_version": case.version,
            "agree-agreement_text": "和解",
            "agree-applicant_confirmed": "on",
        },
    )
    assert response.status_code == 400
    assert "被申请人尚未确认" in response.text
    assert Case.objects.get(pk=case.pk).status == "mediating"


def test_agreement_downloads_are_logged_and_scoped(world, register, committee, act, login):
    case = _agreed(world, register, committee, act)
    page = login("township").get(_case_url(case))
    assert 'id="agreement-pdf"' in page.text
    pdf = login("township").get(f"/disputes/{case.number}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    word = login("township").get(f"/disputes/{case.number}/agreement.docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "人民调解协议书" in text and "张三赔偿李四 3000 元。" in text
    tables = docx.Document(io.BytesIO(word.content)).tables
    assert APPLICANT_ID in tables[0].rows[0].cells[1].text
    assert AccessLog.objects.filter(purpose="调解协议书").count() == 4  # two parties, two downloads
    for name in ("outsider", "gridworker", "leader"):
        assert login(name).get(f"/disputes/{case.number}/agreement.pdf").status_code == 404
    assert login("township").get(f"/disputes/{case.number}/agreement.exe").status_code in (302, 303)
    not_agreed = register()
    assert login("township").get(f"/disputes/{not_agreed.number}/agreement.pdf").status_code == 303


def test_red_list_and_figures_pages(world, register, login):
    red = register(description="扬言要同归于尽")
    page = login("leader").get("/disputes/red/")
    assert page.status_code == 200 and red.number in page.text
    assert red.number not in login("outsider").get("/disputes/red/").text
    assert (
        login("leader").get("/disputes/figures/?group=township&start=2020-01-01&end=bad").status_code == 200
    )
    assert login("leader").get("/disputes/figures/cases/?group=organisation&key=").status_code == 200
    assert login("gridworker").get("/disputes/figures/").status_code == 403


def test_risk_scheme_page_admin_only(world, login):
    assert login("handler").get("/disputes/risk-scheme/").status_code == 403
    page = login("township").get("/disputes/risk-scheme/")
    assert page.status_code == 200 and 'id="scheme-form"' not in page.text
    assert login("township").post("/disputes/risk-scheme/", {}).status_code == 403
    client = login("admin")
    page = client.get("/disputes/risk-scheme/")
    assert page.status_code == 200 and 'id="scheme-form"' in page.text
    data = {
        "levels": "green 绿 0\nyellow 黄 3\nred 红 5",
        "weights": "threat_words 6\ngroup 3",
        "threat_words": "威胁、砍",
        "high_risk_types": ["family"],
        "group_size": "5",
        "repeat_threshold": "2",
    }
    bad = client.post("/disputes/risk-scheme/", {**data, "levels": "red 红 0\ngreen 绿 3\nyellow 黄 5"})
    assert bad.status_code == 400
    assert client.post("/disputes/risk-scheme/", data).status_code == 303
    active = RiskScheme.objects.get(is_active=True)
    assert active.levels[-1]["min_score"] == 5 and active.threat_words == ["威胁", "砍"]
    four = RiskScheme.objects.get(name="四色预警")
    assert login("county_admin").post(f"/disputes/risk-scheme/{four.pk}/activate/").status_code == 403
    assert login("admin").post(f"/disputes/risk-scheme/{four.pk}/activate/").status_code == 303
    assert RiskScheme.objects.get(is_active=True) == four


def test_convert_page_from_the_event_panel(world, login):
    from civicgrid.events.services import do_report_event

    event = do_report_event(
        actor=world.user("gridworker"),
        title="邻里争吵",
        description="因噪音争吵",
        channel="grid_patrol",
        lon=120.01,
        lat=30.01,
        reporter_name="张三",
        reporter_phone="13912345678",
    ).case
    page = login("township").get(_case_url(event))
    assert 'id="convert-to-dispute"' in page.text
    assert 'id="convert-to-dispute"' not in login("handler").get(_case_url(event)).text
    assert login("outsider").get(f"/disputes/convert/{event.number}/").status_code == 404
    response = login("township").post(
        f"/disputes/convert/{event.number}/",
        {
            "expected_version": event.version,
            "dispute_type": "neighbour",
            "people_count": "2",
            "reporter_role": "applicant",
        },
    )
    assert response.status_code == 303
    details = DisputeDetails.objects.get(source_case=event)
    assert details.case.parties.get().name == "张三"
    assert 'id="convert-to-dispute"' not in login("township").get(_case_url(event)).text
    _ = parties


def test_kernel_inbox_shows_disputes_with_their_filters(world, register, login):
    land = register(dispute_type="land")
    other = register(dispute_type="debt", parties=[])
    client = login("township")
    page = client.get("/cases/?queue=to_register")
    assert page.status_code == 200 and land.number in page.text and other.number in page.text
    page = client.get("/cases/?queue=all&dispute_type=land")
    assert land.number in page.text and other.number not in page.text
    assert client.get("/cases/?queue=all&risk=red").status_code == 200


def test_dispute_page_in_english_does_not_break(world, register, committee, act, client):
    case = _agreed(world, register, committee, act)
    client.force_login(world.user("township"))
    client.cookies["django_language"] = "en"
    page = client.get(_case_url(case), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert client.get("/disputes/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
