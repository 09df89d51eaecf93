"""One petition through its whole life in a real browser, as the people who do each step:

the petition officer registers a visit (信访人 with ID number) and is shown the query code once →
transfers it to 江东区城市管理局 on the case page → the department's handler accepts it (the 受理告知书
can be downloaded) and issues the 处理意见书 (不予支持) → the petitioner, on a phone, follows it by
number and query code and rates it → the petitioner asks for 复查 at the petition office, which
records the request and decides (维持), then 复核 with a hearing (维持) → the same matter brought
again is refused with the reason. Each page is saved to test-artifacts/.
"""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case
from civicgrid.petitions.models import PetitionDetails
from tests.browser.conftest import login_through_form
from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def as_user(chromium_browser, live_server, browser_world):
    contexts = []

    def open_as(username: str | None, **options):
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
        if username:
            login_through_form(page, username, PASSWORD)
            page.wait_for_url("**/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def act(page, action: str, fill=None):
    block = page.locator(f'details[data-action="{action}"]')
    if block.get_attribute("open") is None:
        block.locator("summary").click()
    for selector, value in (fill or {}).items():
        field = block.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        elif field.get_attribute("type") == "radio":
            field.check()
        else:
            field.fill(value)
    block.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_one_petition_through_its_whole_life(as_user, browser_world, screenshot):
    w = browser_world
    officer = as_user("petition")
    officer.goto("/petitions/new/")
    officer.fill("#id_title", "小区旁工地夜间施工噪音扰民")
    officer.fill("#id_description", "工地连续一个月夜间施工，多次反映未解决。")
    officer.select_option("#id_area", value=str(w.area("338001001001").pk))
    officer.select_option("#id_channel", value="visit")
    officer.select_option("#id_petition_class", value="claim")
    officer.fill("#id_petitioner_name", "张三")
    officer.fill("#id_petitioner_id_card", "11010519491231002X")
    officer.fill("#id_petitioner_phone", "13912345678")
    screenshot(officer, "register-form")
    officer.click("#petition-submit")
    number = officer.locator("#petition-number").inner_text()
    code = officer.locator("#petition-code").inner_text()
    screenshot(officer, "registered")
    officer.click("#petition-open")
    assert "张*" in officer.locator("#petition-parties").inner_text()
    act(officer, "transfer", {"select[name='transfer-unit']": "江东区城市管理局"})
    assert Case.objects.get(number=number).status == "transferred"
    screenshot(officer, "transferred")

    handler = as_user("handler")
    handler.goto(f"/cases/{number}/")
    act(handler, "accept")
    assert Case.objects.get(number=number).status == "accepted"
    link = handler.locator('#petition-documents li[data-document="acceptance"] a').first
    assert handler.request.get(link.get_attribute("href")).body()[:4] == b"%PDF"
    handler.locator('details[data-action="issue_opinion"] summary').click()
    screenshot(handler, "opinion-form")
    act(
        handler,
        "issue_opinion",
        {
            "select[name='issue_opinion-opinion']": "不予支持",
            "textarea[name='issue_opinion-note']": "施工许可合法，已要求22点后停止高噪声作业。",
        },
    )
    assert Case.objects.get(number=number).status == "concluded"
    screenshot(handler, "opinion")

    phone = as_user(None, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto("/citizen/petitions/")
    phone.fill("#id_number", number)
    phone.fill("#id_code", code)
    phone.click("#petition-follow-submit")
    steps = phone.locator("#petition-steps").inner_text()
    assert "江东区城市管理局" in steps and "不予支持" in steps
    assert "张三" not in phone.content()
    screenshot(phone, "citizen")
    phone.check("input[name='rating'][value='dissatisfied']")
    phone.click("#petition-rate-submit")
    assert "不满意" in phone.locator("#petition-rated").inner_text()
    assert PetitionDetails.objects.get(case__number=number).rating == "dissatisfied"

    officer.goto(f"/cases/{number}/")
    act(officer, "request_review")
    act(
        officer,
        "decide_review",
        {
            "select[name='decide_review-outcome']": "维持",
            "textarea[name='decide_review-note']": "原处理意见认定事实清楚，予以维持。",
        },
    )
    assert Case.objects.get(number=number).status == "reviewed"
    assert "复查时限" in officer.locator("#deadlines").inner_text()
    screenshot(officer, "reviewed")
    # 复核 with a hearing (its time not counted), then the matter is closed for good.
    act(officer, "request_recheck")
    act(officer, "start_hearing")
    assert officer.locator('#deadlines tr[data-clock="recheck"]').get_attribute("data-state") == "paused"
    act(officer, "end_hearing")
    act(
        officer,
        "decide_recheck",
        {
            "select[name='decide_recheck-outcome']": "维持",
            "textarea[name='decide_recheck-note']": "维持复查意见。",
        },
    )
    assert Case.objects.get(number=number).status == "rechecked"
    screenshot(officer, "rechecked")
    # The same person with the same matter again: refused with the reason, naming the petition.
    officer.goto("/petitions/new/")
    officer.fill("#id_title", "工地夜间施工噪音扰民")
    officer.fill("#id_description", "工地仍在夜间施工。")
    officer.select_option("#id_area", value=str(w.area("338001001001").pk))
    officer.select_option("#id_channel", value="letter")
    officer.select_option("#id_petition_class", value="claim")
    officer.fill("#id_petitioner_name", "张三")
    officer.fill("#id_petitioner_id_card", "11010519491231002X")
    officer.click("#petition-submit")
    refusal = officer.locator("#petition-form .alert--error").first.inner_text()
    assert number in refusal and "第三十六条" in refusal
    assert Case.objects.filter(kind="petition").count() == 1
    screenshot(officer, "refused-after-recheck")
    officer.goto("/petitions/")
    assert number in officer.locator("#petition-list").inner_text()
    screenshot(officer, "list")
    officer.goto("/petitions/figures/")
    assert "江东区城市管理局" in officer.locator("#figures-table").inner_text()
    screenshot(officer, "figures")
    assert not officer.errors and not handler.errors and not phone.errors
