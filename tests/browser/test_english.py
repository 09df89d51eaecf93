"""English in a real browser: a township officer switches the language menu to English on the area
browser and gets the page back in English, map and all."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_area_browser_in_english(page, screenshot):
    login_through_form(page, "township", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/areas/")
    page.wait_for_selector("#grid-map[data-grids-drawn='3']")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.inner_text(".browser__tree h2") == "行政区划"

    page.select_option("#lang-select", "en")  # submits itself and comes back to this page
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith("/areas/")
    page.wait_for_selector("#grid-map[data-grids-drawn='3']")

    assert page.inner_text(".browser__tree h2") == "Administrative divisions"
    assert page.inner_text(".browser__main section.card h2") == "Grids"
    headers = page.locator("#grid-list thead th")
    assert [headers.nth(i).inner_text() for i in range(headers.count())] == [
        "Grid code",
        "Name",
        "Type",
        "Village/community",
    ]
    assert page.inner_text("nav.site-nav a[aria-current='page']") == "Areas and grids"
    assert page.inner_text(".site-tools button[type=submit]:visible") == "Log out"
    assert page.get_attribute("#grid-map", "aria-label") == "Grid map"
    tree = page.inner_text("#area-tree")
    assert "Township/street" in tree and "Village/community" in tree
    kinds = page.locator("#grid-list tbody td:nth-child(3)")
    assert {kinds.nth(i).inner_text() for i in range(kinds.count())} == {"Base grid"}
    assert page.input_value("#lang-select") == "en"
    screenshot(page, "areas")

    # the grid's public notice is in English too
    page.click(f"#grid-list a[href$='/grids/{NAMES.grid_a1b_1}/']")
    page.wait_for_selector("#grid-map[data-grids-drawn='1']")
    assert page.inner_text("#notice-title") == "Grid public notice"
    notice = page.inner_text("#public-notice")
    for label in ("Grid name", "Grid code", "Grid type", "Area", "Grid worker", "Supervision phone"):
        assert label in notice
    screenshot(page, "grid")
