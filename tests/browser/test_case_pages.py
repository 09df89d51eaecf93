"""The command-centre pages in a real browser: a county dispatcher opens the inbox, sees the queue
tabs with counts, opens a reported case, reads its map, clocks and timeline, and registers it with
a note; the page then shows the new status and the entry in the timeline. A second dispatcher with
a stale page gets the Chinese conflict message and nothing changes.

The kernel's fake kind (civicgrid/cases/tests/conftest.py) stands in for a real kind: the live
server runs in this process, so registering it here makes it known to the server too."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.cases import services
from civicgrid.cases.kinds import register_kind, unregister_kind
from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import FAKE
from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cases(browser_world):
    register_kind(FAKE)
    w = browser_world
    grid = w.grids[NAMES.grid_a1a_1]
    opened = []
    for title, description in [
        ("东湖路井盖缺失", "东湖路 12 号门前井盖缺失，夜间有行人跌落风险。"),
        ("小区垃圾未清运", "南门垃圾桶满溢三天。"),
    ]:
        opened.append(
            services.do_open_case(
                "fake",
                actor=w.user("gridworker"),
                title=title,
                description=description,
                area=grid.village,
                grid=grid,
                lon=120.006,
                lat=30.02,
                opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=100),
            )
        )
    services.do_supervise(opened[1], "listed", actor=w.user("county"), expected_version=1, note="挂牌督办")
    yield opened
    unregister_kind("fake")


def test_dispatcher_registers_a_case_from_the_inbox(page, screenshot, cases, chromium_browser, live_server):
    console = []
    page.on("console", lambda msg: console.append((msg.type, msg.text)))
    page.on("pageerror", lambda exc: console.append(("error", str(exc))))
    login_through_form(page, "county", PASSWORD)
    page.wait_for_url("**/")
    page.click("nav.site-nav >> text=案件")
    page.wait_for_selector("#case-list")
    assert page.get_attribute("#queue-tabs a[aria-current=page]", "data-queue") == "to_register"
    assert page.inner_text("#queue-tabs .queue-tab--to_register .queue-tab__count") == "2"
    assert page.inner_text("#queue-tabs .queue-tab--supervised .queue-tab__count") == "1"
    rows = page.locator("#case-list tbody tr")
    assert rows.count() == 2
    assert "挂牌督办" in page.inner_text("#case-list")
    screenshot(page, "inbox")

    target = cases[0]
    page.click(f"#case-list a:text('{target.title}')")
    page.wait_for_selector("#case-map[data-drawn]")
    assert page.inner_text("#case-number") == target.number
    assert page.inner_text("#case-status") == "已上报"
    # 100 of the 120 minutes of the response clock have passed: yellow.
    assert "即将到期" in page.inner_text("#case-deadline")
    assert page.locator("#case-map .leaflet-overlay-pane path").count() == 2  # grid outline + point
    buttons = page.locator("#case-actions summary")
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == [
        "立案",
        "不予立案",
        "催办",
        "督办",
        "上报上级",
    ]
    screenshot(page, "case")

    page.click("#case-actions details[data-action=register] summary")
    page.fill("#id_register-note", "经核实属实，予以立案")
    screenshot(page, "register-form")
    page.click("#case-actions details[data-action=register] button[type=submit]")
    page.wait_for_selector(".message--success")
    assert "已完成“立案”" in page.inner_text(".messages")
    assert page.inner_text("#case-status") == "已立案"
    timeline = page.inner_text("#timeline")
    assert "已上报 → 已立案" in timeline and "经核实属实，予以立案" in timeline
    assert "赵**（临江市社会治理指挥中心）" in timeline
    screenshot(page, "registered")
    assert Case.objects.get(pk=target.pk).status == "registered"

    # A second dispatcher whose page still shows version 1 is told to reload; nothing changes.
    other = chromium_browser.new_context(base_url=live_server.url, locale="zh-CN")
    stale = other.new_page()
    login_through_form(stale, "city", PASSWORD)
    stale.wait_for_url("**/")
    stale.goto(f"/cases/{target.number}/")
    # The page as it was before the register: the version the other dispatcher saw.
    stale.click("#case-actions details[data-action=urge] summary")
    stale.evaluate("document.getElementById('id_urge-expected_version').value = '1'")
    stale.click("#case-actions details[data-action=urge] button[type=submit]")
    stale.wait_for_selector("#action-error")
    assert "已被他人修改" in stale.inner_text("#action-error")
    screenshot(stale, "conflict")
    other.close()
    assert Case.objects.get(pk=target.pk).urge_count == 0
    assert [m for m in console if m[0] == "error"] == []
