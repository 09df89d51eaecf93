"""The one-stop centre in a real browser: a township officer registers a walk-in on the desk page
from a phone-sized screen (two people, a group of six), opens the visit, routes it to mediation,
gets the receipt slip with the case number, and back on the desk sees the routed case's status and
deadline; a visitor's bad ID number is refused on its own row first."""

from __future__ import annotations

import pytest

from civicgrid.desk.models import Visit
from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_page(chromium_browser, live_server, browser_world):
    context = chromium_browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_walk_in_registered_and_routed_to_mediation(desk_page, screenshot):
    page = desk_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_through_form(page, "township", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/desk/")
    page.wait_for_selector("#visit-form")
    page.fill("#id_p0_name", "张三")
    page.fill("#id_p0_id_card", "110105194912310021")  # wrong check character
    page.fill("#id_p0_phone", "13912345678")
    page.select_option("#id_p1_kind", "person")
    page.fill("#id_p1_name", "李四")
    page.fill("#id_title", "邻居违建挡住采光")
    page.fill("#id_description", "邻居加盖二层，挡住我家采光，多次协商未果。")
    page.fill("#id_people_count", "6")
    page.select_option("#id_grid_code", NAMES.grid_a1a_1)
    page.click("#visit-submit")
    page.wait_for_selector("#visit-error")
    assert page.locator('[data-row="0"] .field--invalid').count() >= 1
    assert not Visit.objects.exists()
    screenshot(page, "desk-error")

    page.fill("#id_p0_id_card", "11010519491231002X")
    page.click("#visit-submit")
    page.wait_for_selector("#visit-title")
    assert page.locator("#visit-status").inner_text() == "待分流"
    assert "集体访" in page.content()
    assert "11010519491231002X" not in page.content()  # masked
    screenshot(page, "visit")

    page.check('input[name="route"][value="dispute"]')
    page.select_option("#id_dispute_type", "neighbour")
    page.click("#route-submit")
    page.wait_for_selector("#receipt")
    visit = Visit.objects.get()
    assert visit.status == "routed" and visit.case.kind == "dispute"
    assert page.locator("#receipt-case").inner_text() == visit.case.number
    screenshot(page, "receipt")

    page.goto("/desk/?status=routed")
    item = page.locator(f'[data-number="{visit.number}"]')
    assert visit.case.number in item.inner_text()
    assert item.locator(".status").count() == 1
    screenshot(page, "desk-routed")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/desk/visits/{visit.pk}/")
    assert visit.case.number in page.locator("#routings").inner_text()
    screenshot(page, "visit-wide")
    page.goto("/desk/?status=all")
    screenshot(page, "desk-wide")
    assert errors == []


def test_leader_sees_red_disputes_on_the_dashboard(page, screenshot, browser_world):
    from civicgrid.disputes.models import DisputeDetails
    from civicgrid.disputes.services import do_register_dispute

    w = browser_world
    case = do_register_dispute(
        actor=w.user("township"),
        title="宅基地边界纠纷，一方扬言报复",
        description="双方因宅基地边界多次争吵",
        area=w.area(NAMES.village_a1a),
        dispute_type="land",
        source="walk_in",
        parties=[{"role": "applicant", "kind": "person", "name": "张三"}],
    )
    DisputeDetails.objects.filter(case=case).update(risk_level="red", leader=w.user("leader"))
    login_through_form(page, "leader", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/dashboard/")
    panel = page.locator("#desk-panel")
    panel.wait_for()
    assert case.number in panel.locator("#red-disputes").inner_text()
    panel.scroll_into_view_if_needed()
    screenshot(page, "dashboard")
