"""One dispute through its whole life in a real browser, as the people who do each step:

the township officer registers a walk-in dispute with both parties (ID number checked) → accepts
it for the township mediation committee, naming the mediator → the mediator starts mediation,
records a session and records the agreement with both sides' confirmation (first forgetting one:
refused, nothing changed) → the township officer downloads the 调解协议书 → the mediator records the
application for judicial confirmation, the court's acceptance and its confirmation → the grid
worker, on a phone, records the follow-up visit → the township officer closes it. Each page is
saved to test-artifacts/.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.disputes.models import DisputeDetails, MediationOrganisation
from tests.browser.conftest import login_through_form
from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APPLICANT_ID = "11010519491231002X"


@pytest.fixture
def as_user(chromium_browser, live_server, browser_world):
    contexts = []

    def open_as(username: str, **options):
        context = chromium_browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            **{"viewport": {"width": 1280, "height": 900}, **options},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        login_through_form(page, username, PASSWORD)
        page.wait_for_url("**/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def act(page, action: str, fill=None, check=()):
    block = page.locator(f'details[data-action="{action}"]')
    if block.get_attribute("open") is None:  # a refused form comes back open
        block.locator("summary").click()
    for selector, value in (fill or {}).items():
        field = block.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    for selector in check:
        block.locator(selector).check()
    block.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def status(number: str) -> str:
    return Case.objects.get(number=number).status


def test_a_dispute_from_registration_to_close(as_user, browser_world, screenshot):
    world = browser_world
    committee = MediationOrganisation.objects.create(
        name="东湖街道人民调解委员会", kind="township_committee", area=world.area("338001001000")
    )
    committee.mediators.add(world.user("mediator"))
    today = timezone.localdate().isoformat()

    township = as_user("township")
    township.goto("/disputes/new/")
    township.fill("#id_title", "两户宅基地边界纠纷")
    township.fill("#id_description", "张某与李某因宅基地边界砌墙发生争执，多次争吵。")
    township.select_option("#id_dispute_type", label="土地/宅基地")
    township.select_option("#id_source", label="来访")
    township.fill("#id_amount", "5000")
    township.fill("#id_people_count", "2")
    township.select_option("#id_grid", index=1)
    township.fill("#id_p0-name", "张三")
    township.fill("#id_p0-id_card", "110101199003071234")  # bad check character
    township.fill("#id_p0-phone", "13912345678")
    township.fill("#id_p1-name", "李四")
    township.click("#dispute-submit")
    assert "校验位" in township.inner_text("#party-0")
    assert not Case.objects.filter(kind="dispute").exists()
    screenshot(township, "1-registration-error")
    township.fill("#id_p0-id_card", APPLICANT_ID)
    township.click("#dispute-submit")
    township.wait_for_url("**/cases/**")
    number = township.inner_text("#case-number").strip()
    assert "张*" in township.inner_text("#dispute-parties")
    assert APPLICANT_ID not in township.content()
    screenshot(township, "2-registered")

    act(
        township,
        "accept",
        {"select[name='accept-organisation']": committee.name},
        check=["input[name='accept-mediators']"],
    )
    assert status(number) == "accepted"

    mediator = as_user("mediator")
    mediator.goto(f"/cases/{number}/")
    act(mediator, "start")
    assert status(number) == "mediating"
    mediator.locator("#session-step summary").click()
    mediator.fill("#id_session-held_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    mediator.fill("#id_session-place", "东湖街道调委会调解室")
    mediator.fill("#id_session-participants", "张三、李四、周调解")
    mediator.fill("#id_session-record", "双方陈述事实，同意以原界桩为准重新砌墙。")
    mediator.locator("#session-step button[type=submit]").click()
    mediator.wait_for_load_state("networkidle")
    assert "原界桩" in mediator.inner_text("#dispute-sessions")
    act(
        mediator,
        "agree",
        {"textarea[name='agree-agreement_text']": "以原界桩为准，李四于十日内拆除越界部分。"},
        check=["input[name='agree-applicant_confirmed']"],
    )
    assert "被申请人尚未确认" in mediator.inner_text("#action-error")
    assert status(number) == "mediating"
    screenshot(mediator, "3-agreement-refused")
    act(
        mediator,
        "agree",
        {"textarea[name='agree-agreement_text']": "以原界桩为准，李四于十日内拆除越界部分。"},
        check=["input[name='agree-applicant_confirmed']", "input[name='agree-respondent_confirmed']"],
    )
    assert status(number) == "agreed"
    screenshot(mediator, "4-agreed")

    township.goto(f"/cases/{number}/")
    with township.expect_download() as download:
        township.click("#agreement-pdf")
    assert download.value.suggested_filename == f"agreement-{number}.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"

    mediator.goto(f"/cases/{number}/")
    act(
        mediator,
        "apply_confirmation",
        {
            "input[name='apply_confirmation-court_name']": "江东区人民法院",
            "input[name='apply_confirmation-applied_on']": today,
        },
    )
    act(mediator, "court_accept")
    act(mediator, "court_confirm")
    assert status(number) == "fulfilling"
    assert DisputeDetails.objects.get(case__number=number).court_result == "confirmed"

    phone = as_user("gridworker", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(f"/cases/{number}/")
    phone.locator("#visit-step summary").click()
    phone.fill("#id_visit-visited_on", today)
    phone.select_option("#id_visit-result", label="已履行")
    phone.fill("#id_visit-note", "已拆除越界部分，双方无异议。")
    phone.locator("#visit-step button[type=submit]").click()
    phone.wait_for_load_state("networkidle")
    assert "已履行" in phone.inner_text("#dispute-visits")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, width
    screenshot(phone, "5-phone-visit")

    township.goto(f"/cases/{number}/")
    act(township, "close")
    assert status(number) == "closed"
    screenshot(township, "6-closed")
    township.goto("/disputes/")
    assert number in township.inner_text("#dispute-table")
    screenshot(township, "7-list")
    township.goto("/disputes/figures/")
    assert "100%" in township.inner_text("#figure-table")
    screenshot(township, "8-figures")
    township.goto("/disputes/risk-scheme/")
    screenshot(township, "9-risk-scheme")
    for page in (township, mediator, phone):
        assert page.errors == []
