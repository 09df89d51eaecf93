"""The hot-issue board in a real browser: the leader goes from the dashboard to the board, sees the
ranked clusters named by place and terms, opens one and lands on its events (reporters masked);
the township officer's board holds only its township; the phone layout works. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.utils import timezone

from tests.browser.conftest import login_through_form
from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hot(browser_world, settings, tmp_path):
    from civicgrid.assessment.tests.test_hot_issue_board import seed_hot_issues

    settings.MEDIA_ROOT = str(tmp_path)
    caches["default"].clear()
    return seed_hot_issues(browser_world)


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def period_query() -> str:
    today = timezone.localdate()
    return f"kind=custom&start={today - dt.timedelta(days=2)}&end={today}"


def test_leader_opens_the_board_from_the_dashboard_and_drills_down(page, hot, screenshot):
    errors = watch_errors(page)
    login_through_form(page, "leader", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/dashboard/?{period_query()}")
    page.click("#hot-issues-link")
    page.wait_for_selector("#hot-list")
    names = page.eval_on_selector_all("#hot-list .hot-name", "els => els.map(e => e.textContent)")
    assert len(names) == 2 and names[0].startswith("东湖") and names[1].startswith("北山")
    assert "3 件事件" in page.inner_text("#hot-list li:first-child")
    screenshot(page, "board")
    page.click("#hot-list li:first-child .hot-name")
    page.wait_for_selector("#hot-cases")
    rows = page.eval_on_selector_all("#hot-cases tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert rows == [c.number for c in hot.a1]
    reporters = page.eval_on_selector_all("#hot-cases .hot-reporter", "els => els.map(e => e.textContent)")
    assert reporters == ["张*", "李*", "王*"]
    screenshot(page, "detail")
    assert errors == []


def test_township_board_on_a_phone(page, hot, screenshot):
    errors = watch_errors(page)
    page.set_viewport_size({"width": 390, "height": 844})
    login_through_form(page, "township", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/dashboard/hot-issues/?{period_query()}")
    page.wait_for_selector("#hot-list")
    names = page.eval_on_selector_all("#hot-list .hot-name", "els => els.map(e => e.textContent)")
    assert len(names) == 1 and names[0].startswith("东湖")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # no sideways scrolling on a phone
    screenshot(page, "phone")
    assert errors == []
