"""Staff pages: registration form, the petition panel on the case page (masked parties, logged
reveal, clocks, documents), actions through the kernel's case page, list, figures with drill-down;
outsiders get 404 and change nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
import time_machine
from django.test import Client

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case, CaseParty, TimelineEntry
from civicgrid.petitions.models import PetitionDetails
from civicgrid.petitions.services import do_petition_action

from .conftest import ID_A, at

pytestmark = pytest.mark.django_db


def login(world, name) -> Client:
    client = Client()
    client.force_login(world.user(name))
    return client


FORM = {
    "title": "工地夜间施工噪音扰民",
    "description": "连续一个月夜间施工。",
    "channel": "visit",
    "petition_class": "claim",
    "people_count": "1",
    "petitioner_name": "张三",
    "petitioner_id_card": ID_A,
    "petitioner_phone": "13912345678",
}


def test_register_through_the_form_shows_the_query_code_once(world):
    client = login(world, "petition")
    page = client.get("/petitions/new/")
    assert page.status_code == 200 and "登记信访事项" in page.content.decode()
    response = client.post("/petitions/new/", {**FORM, "area": world.area("338001001001").pk})
    assert response.status_code == 200
    case = Case.objects.get(kind="petition")
    body = response.content.decode()
    assert case.number in body and 'id="petition-code"' in body
    assert PetitionDetails.objects.get(case=case).code_hash


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"petitioner_id_card": "110105194912310021"}, "petitioner_id_card"),
        ({"petition_class": ""}, "petition_class"),
        ({"channel": ""}, "channel"),
    ],
)
def test_bad_form_input_is_shown_on_its_field_and_nothing_is_written(world, changes, field):
    client = login(world, "petition")
    response = client.post("/petitions/new/", {**FORM, "area": world.area("338001001001").pk, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Case.objects.count() == CaseParty.objects.count() == 0


def test_outsiders_cannot_register_or_reach_the_form(world):
    assert login(world, "handler").get("/petitions/new/").status_code == 403
    response = login(world, "outsider").post(
        "/petitions/new/", {**FORM, "area": world.area("338001001001").pk}
    )
    assert response.status_code == 400 and Case.objects.count() == 0  # the area is not offered


def test_case_page_panel_reveal_actions_documents(world, register):
    case = register(people_count=7)
    client = login(world, "petition")
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'id="petition-panel"' in page and "集体访" in page and "转送交办时限" in page
    assert "张三" not in page and "张*" in page  # masked
    assert "petition-objection" not in page  # only while it waits for the organ
    party = CaseParty.objects.get(case=case)
    assert f'data-remove="{party.pk}"' in page  # a party registered in error can be removed here
    handler_page = login(world, "handler").get(f"/cases/{case.number}/")  # views, may not report
    assert handler_page.status_code == 200 and "data-remove" not in handler_page.content.decode()
    # Logged reveal.
    revealed = client.post(f"/petitions/{case.number}/parties/{party.pk}/reveal/").content.decode()
    assert "张三" in revealed and ID_A in revealed
    assert AccessLog.objects.filter(object_id=str(party.pk)).count() == 1
    # Transfer through the kernel's case page.
    response = client.post(
        f"/cases/{case.number}/actions/transfer/",
        {
            "transfer-expected_version": case.version,
            "transfer-unit": world.units["chengguan"].pk,
            "transfer-mode": "transfer",
        },
    )
    assert response.status_code == 303
    case.refresh_from_db()
    assert 'id="petition-objection"' in client.get(f"/cases/{case.number}/").content.decode()
    handler = login(world, "handler")
    response = handler.post(
        f"/cases/{case.number}/actions/accept/", {"accept-expected_version": case.version}
    )
    assert response.status_code == 303
    case.refresh_from_db()
    assert case.status == "accepted"
    page = handler.get(f"/cases/{case.number}/").content.decode()
    assert "受理告知书" in page
    pdf = handler.get(f"/petitions/{case.number}/documents/acceptance.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    docx = handler.get(f"/petitions/{case.number}/documents/acceptance.docx")
    assert docx.status_code == 200
    assert "受理告知书" in zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    generated = TimelineEntry.objects.filter(case=case, action="document_generated").count()
    assert generated == 2
    # No opinion yet: that document does not exist.
    assert handler.get(f"/petitions/{case.number}/documents/opinion.pdf").status_code == 404
    response = handler.post(
        f"/cases/{case.number}/actions/issue_opinion/",
        {
            "issue_opinion-expected_version": case.version,
            "issue_opinion-opinion": "support",
            "issue_opinion-note": "支持诉求",
        },
    )
    assert response.status_code == 303
    assert handler.get(f"/petitions/{case.number}/documents/opinion.pdf").status_code == 200
    # Outsiders: the same 404 as for a missing petition, nothing logged.
    for name in ("outsider", "nobody"):
        other = login(world, name)
        assert other.get(f"/cases/{case.number}/").status_code == 404
        assert other.get(f"/petitions/{case.number}/documents/opinion.pdf").status_code == 404
        assert other.post(f"/petitions/{case.number}/parties/{party.pk}/reveal/").status_code == 404
    assert TimelineEntry.objects.filter(case=case, action="document_generated").count() == generated + 1
    assert AccessLog.objects.filter(object_id=str(party.pk)).count() == 1 + 3  # reveal + 3 documents


def test_a_refused_action_on_the_page_names_the_reason(world, register, calendar_2026):
    with time_machine.travel(at(2026, 2, 10), tick=False):
        case = register()
        case = do_petition_action(
            case,
            "transfer",
            actor=world.user("petition"),
            expected_version=1,
            unit=world.units["chengguan"].pk,
        )
    with time_machine.travel(at(2026, 2, 25), tick=False):
        response = login(world, "handler").post(
            f"/cases/{case.number}/actions/object/",
            {"object-expected_version": case.version, "object-note": "非本单位职责"},
        )
    assert response.status_code == 400 and "2026-02-24" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "transferred"


def test_list_and_figures_are_scoped_and_drill_down(world, register, calendar_2026):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = register()
        do_petition_action(
            case,
            "transfer",
            actor=world.user("petition"),
            expected_version=1,
            unit=world.units["chengguan"].pk,
        )
    with time_machine.travel(at(2026, 3, 30), tick=False):  # the acceptance notice is late
        client = login(world, "petition")
        assert case.number in client.get("/petitions/").content.decode()
        assert case.number not in login(world, "outsider").get("/petitions/").content.decode()
        page = client.get("/petitions/figures/")
        assert page.status_code == 200
        row = page.context["data"]["rows"][0]
        assert (row["name"], row["total"], row["transfer_rate"], row["acceptance_rate"]) == (
            "江东区城市管理局",
            1,
            1.0,
            0.0,
        )
        drill = client.get(
            "/petitions/", {"group": row["group"], "metric": "acceptance_late"}
        ).content.decode()
        assert case.number in drill
        assert (
            case.number
            not in client.get("/petitions/", {"group": row["group"], "metric": "repeat"}).content.decode()
        )
        by_area = client.get("/petitions/figures/", {"by": "area"}).context["data"]["rows"]
        assert by_area[0]["name"] == "江东区"
        by_township = client.get("/petitions/figures/", {"by": "township"}).context["data"]["rows"]
        assert (by_township[0]["name"], by_township[0]["group"]) == ("东湖街道", "area:338001001")
        drill = client.get("/petitions/", {"group": "area:338001001"}).content.decode()
        assert case.number in drill
        assert case.number not in client.get("/petitions/", {"group": "area:338001002"}).content.decode()
        assert login(world, "handler").get("/petitions/figures/").status_code == 403
        assert login(world, "outsider").get("/petitions/figures/").status_code == 403
        assert login(world, "leader").get("/petitions/figures/").context["data"]["total"]["total"] == 1


def test_the_inbox_filters_petitions_by_class(world, register):
    case = register()
    client = login(world, "petition")
    page = client.get("/cases/", {"queue": "all", "petition_class": "claim"}).content.decode()
    assert f"/cases/{case.number}/" in page
    page = client.get("/cases/", {"queue": "all", "petition_class": "suggestion"}).content.decode()
    assert f"/cases/{case.number}/" not in page


def test_registering_an_accusation_leaves_the_officer_with_number_and_code_only(world):
    client = login(world, "petition")
    form = {**FORM, "area": world.area("338001001001").pk, "petition_class": "accusation"}
    form.update({"accused_name": "孙承办", "accused_unit": world.units["chengguan"].pk})
    response = client.post("/petitions/new/", form)
    case = Case.objects.get(kind="petition")
    body = response.content.decode()
    assert response.status_code == 200 and case.confidential and 'id="petition-confidential-note"' in body
    assert 'id="petition-open"' not in body and case.number in body
    assert client.get(f"/cases/{case.number}/").status_code == 404
    accused = CaseParty.objects.get(case=case, role="accused")
    assert accused.data == {"unit": world.units["chengguan"].pk}


def test_forms_need_the_csrf_token(world, register):
    case = register()
    party = CaseParty.objects.get(case=case)
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(world.user("petition"))
    assert staff.post("/petitions/new/", {**FORM, "area": world.area("338001001001").pk}).status_code == 403
    assert staff.post(f"/petitions/{case.number}/parties/{party.pk}/reveal/").status_code == 403
    public = Client(enforce_csrf_checks=True)
    assert (
        public.post("/citizen/petitions/", {"number": case.number, "code": case.query_code}).status_code
        == 403
    )
    assert Case.objects.count() == 1 and not AccessLog.objects.exists()
    page = staff.get("/petitions/new/").content.decode()
    assert "csrfmiddlewaretoken" in page
