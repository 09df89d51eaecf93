"""The area browser in a real browser: a township officer sees exactly the township's grids on the
map, an outsider gets nothing, a bad password shows a Chinese error, and English can be chosen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOWNSHIP_GRIDS = [NAMES.grid_a1a_1, NAMES.grid_a1a_2, NAMES.grid_a1b_1]


def drawn_grid_codes(page) -> list[str]:
    """Codes of the grid features Leaflet actually holds on the map (not just the list below it)."""
    return page.evaluate(
        """() => {
            const codes = [];
            const map = window.__civicgridMap;
            map.eachLayer(l => { if (l.feature && l.feature.properties.kind) codes.push(l.feature.properties.code); });
            return codes.sort();
        }"""
    )


def test_township_officer_sees_only_township_grids(page, screenshot):
    console = []
    page.on("console", lambda msg: console.append((msg.type, msg.text)))
    login_through_form(page, "township", PASSWORD)
    page.wait_for_url("**/")
    assert "您好，李综治" in page.inner_text("h1")
    screenshot(page, "home")

    page.click("nav.site-nav >> text=区划与网格")
    page.wait_for_selector("#grid-map[data-grids-drawn]")
    assert page.get_attribute("#grid-map", "data-grids-drawn") == "3"
    assert page.get_attribute("#grid-map", "data-grids-total") == "3"
    assert drawn_grid_codes(page) == TOWNSHIP_GRIDS
    rows = page.locator("#grid-list tbody tr")
    assert [rows.nth(i).get_attribute("data-grid-code") for i in range(rows.count())] == TOWNSHIP_GRIDS
    tree = page.inner_text("#area-tree")
    assert "东湖街道" in tree and "东湖社区" in tree and "南岸社区" in tree
    assert "西湖街道" not in tree and "北山镇" not in tree
    # the canvas renderer draws the grids: one <canvas> in the overlay pane, no SVG paths
    assert page.locator("#grid-map .leaflet-overlay-pane canvas").count() == 1
    assert page.locator("#grid-map .leaflet-overlay-pane svg path").count() == 0
    # no basemap by default
    assert page.locator("#grid-map .leaflet-tile-pane img").count() == 0
    screenshot(page, "township-map")
    # no script errors, and the preloaded GeoJSON was the one the map used (else Chrome warns)
    page.wait_for_timeout(3500)
    assert [m for m in console if m[0] == "error" or "preload" in m[1]] == []

    # clicking a grid on the map (a real mouse click on the canvas) opens its public notice
    point = page.evaluate(
        """(code) => {
            const map = window.__civicgridMap;
            let p = null;
            map.eachLayer(l => {
                if (l.feature && l.feature.properties.code === code) {
                    p = map.latLngToContainerPoint(l.getBounds().getCenter());
                }
            });
            return {x: p.x, y: p.y};
        }""",
        NAMES.grid_a1b_1,
    )
    box = page.locator("#grid-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url(f"**/grids/{NAMES.grid_a1b_1}/")
    notice = page.inner_text("#public-notice")
    assert "南岸社区第1网格" in notice
    assert "临江市江东区东湖街道南岸社区" in notice
    assert "0571-12345678" in notice
    page.wait_for_selector("#grid-map[data-grids-drawn='1']")
    screenshot(page, "grid-page")


def test_lazy_tree_loads_children(page, screenshot):
    login_through_form(page, "city", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/areas/")
    page.wait_for_selector("#grid-map[data-grids-drawn='5']")
    assert "东湖街道" not in page.inner_text("#area-tree")
    page.click(f"li[data-code='{NAMES.county_a}'] > details > summary .tree__level")
    page.wait_for_selector(f"li[data-code='{NAMES.township_a1}']")
    assert "东湖街道" in page.inner_text("#area-tree") and "西湖街道" in page.inner_text("#area-tree")
    screenshot(page, "city-tree")


def test_outsider_gets_404_and_sees_nothing(page, screenshot):
    login_through_form(page, "outsider", PASSWORD)
    page.wait_for_url("**/")
    response = page.goto(f"/areas/{NAMES.township_a1}/")
    assert response.status == 404
    body = page.inner_text("body")
    assert page.inner_text("h1") == "页面不存在"
    assert "东湖" not in body
    assert page.locator("#grid-map").count() == 0
    geo = page.goto(f"/areas/{NAMES.township_a1}/grids.geojson")
    assert geo.status == 404
    assert NAMES.grid_a1a_1 not in page.content()
    assert page.goto(f"/grids/{NAMES.grid_a1a_1}/").status == 404
    screenshot(page, "outsider-404")
    # and on the outsider's own map, only the outsider's grid is drawn
    page.goto("/areas/")
    page.wait_for_selector("#grid-map[data-grids-drawn]")
    assert drawn_grid_codes(page) == [NAMES.grid_b1a_1]


def test_bad_password_shows_chinese_error(page, screenshot):
    login_through_form(page, "township", "not-the-password")
    page.wait_for_selector("#login-error")
    assert page.inner_text("#login-error").strip() == "用户名或密码不正确，请重新输入。注意密码区分大小写。"
    assert page.url.endswith("/accounts/login/")
    screenshot(page, "bad-password")


def test_language_switch_to_english(page, screenshot):
    page.goto("/accounts/login/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    page.select_option("#lang-select", "en")  # submits itself (static/js/civicgrid.js)
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_attribute("html", "lang") == "en"
    assert page.input_value("#lang-select") == "en"
    screenshot(page, "english")


def test_phone_layout(page, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    login_through_form(page, "gridworker", PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/grids/{NAMES.grid_a1a_1}/")
    page.wait_for_selector("#grid-map[data-grids-drawn='1']")
    notice = page.inner_text("#public-notice")
    assert "王网格" in notice and "13800001111" in notice
    # nothing wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "phone-grid")


def test_grid_names_are_not_html_in_tooltips(page, browser_world):
    from civicgrid.areas.models import Grid

    Grid.objects.filter(code=NAMES.grid_a1a_1).update(name='<img src=x id="injected">')
    login_through_form(page, "township", PASSWORD)
    page.wait_for_url("**/")
    page.goto("/areas/")
    page.wait_for_selector("#grid-map[data-grids-drawn='3']")
    point = page.evaluate(
        """(code) => {
            const map = window.__civicgridMap;
            let p = null;
            map.eachLayer(l => {
                if (l.feature && l.feature.properties.code === code) {
                    p = map.latLngToContainerPoint(l.getBounds().getCenter());
                }
            });
            return {x: p.x, y: p.y};
        }""",
        NAMES.grid_a1a_1,
    )
    box = page.locator("#grid-map").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector(".leaflet-tooltip")
    assert page.inner_text(".leaflet-tooltip") == f'<img src=x id="injected"> · {NAMES.grid_a1a_1}'
    assert page.locator("#injected").count() == 0
