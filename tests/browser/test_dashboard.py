"""The leaders' dashboard in a real browser over the realistic month of the assessment tests: the
leader sees both ECharts charts and the density map drawn (canvas, no script errors), sorts the
table, clicks a bar, a table figure and a grid and lands on the cases behind each; the township
officer sees only its township. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOVEMBER = "/dashboard/?kind=month&month=2026-11"


@pytest.fixture
def month(browser_world, settings, tmp_path):
    from civicgrid.assessment.tests.conftest import build_month

    settings.MEDIA_ROOT = str(tmp_path)
    return build_month(browser_world)


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def open_dashboard(page, username: str, url: str = NOVEMBER):
    login_through_form(page, username, PASSWORD)
    page.wait_for_url("**/")
    page.click("nav.site-nav >> text=驾驶舱")
    page.wait_for_url("**/dashboard/")
    page.goto(url)
    page.wait_for_selector("#density-map[data-drawn='1']")


def table_units(page) -> list[str]:
    return page.eval_on_selector_all("#figures-table tbody tr", "rows => rows.map(r => r.dataset.unit)")


def test_leader_sees_charts_and_map_and_drills_down(page, month, screenshot):
    errors = watch_errors(page)
    open_dashboard(page, "leader")
    page.wait_for_selector("#chart-rates[data-drawn='1']")
    page.wait_for_selector("#chart-closure[data-drawn='1']")
    assert page.locator("#chart-rates canvas").count() >= 1
    assert page.locator("#chart-closure canvas").count() >= 1
    assert page.locator("#density-map .leaflet-overlay-pane canvas").count() == 1
    assert page.locator("#density-map .leaflet-tile-pane img").count() == 0  # no basemap
    assert page.get_attribute("#density-map", "data-grids") == "5"
    assert page.locator(".dash-legend").count() == 1
    assert table_units(page) == ["jiangdong-chengguan", "donghu-office", "beishan-office"]
    assert page.inner_text("#kpi-events") == "11"
    screenshot(page, "leader")

    # Sorting by satisfaction: 东湖 (100 %) above 城管 (86.67 %); 北山 (100 % of two cases) stays
    # below every ranked unit whichever way the column is sorted.
    page.click("#figures-table .dash-sort[data-sort='rate2']")
    assert table_units(page) == ["donghu-office", "jiangdong-chengguan", "beishan-office"]
    page.click("#figures-table .dash-sort[data-sort='rate2']")
    assert table_units(page) == ["jiangdong-chengguan", "donghu-office", "beishan-office"]
    page.click("#figures-table .dash-sort[data-sort='name']")
    assert table_units(page)[-1] == "beishan-office"
    assert errors == []

    # A real mouse click on 城管's satisfaction bar opens the satisfied cases C1 (C5 is excluded).
    point = page.evaluate(
        """() => {
            const el = document.getElementById("chart-rates");
            const chart = echarts.getInstanceByDom(el);
            const series = chart.getModel().getSeriesByIndex(2);
            const box = series.getData().getItemLayout(0);
            return {x: box.x + box.width / 2, y: box.y + box.height / 2};
        }"""
    )
    page.locator("#chart-rates").scroll_into_view_if_needed()
    box = page.locator("#chart-rates").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/dashboard/cases/**")
    assert "figure=satisfied_count" in page.url
    numbers = page.eval_on_selector_all("#drill-list tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert numbers == [month.cases["C1"].number]
    assert "江东区城市管理局 · 满意" in page.inner_text("#drill-title")
    screenshot(page, "drill-bar")

    # A figure of the table: 城管's backlog is C0 (October, still open) and C4.
    page.go_back()
    page.wait_for_selector("#density-map[data-drawn='1']")
    page.click("#figures-table tr[data-unit='jiangdong-chengguan'] a[data-figure='backlog']")
    page.wait_for_url("**/dashboard/cases/**")
    numbers = page.eval_on_selector_all("#drill-list tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert numbers == [month.cases["C0"].number, month.cases["C4"].number]

    # A grid of the map: 北山's grid holds B1 and B2.
    page.go_back()
    page.wait_for_selector("#density-map[data-drawn='1']")
    point = page.evaluate(
        """(code) => {
            const map = window.__civicgridDensityMap;
            let p = null;
            map.eachLayer(l => {
                if (l.feature && l.feature.properties.code === code) {
                    p = map.latLngToContainerPoint(l.getBounds().getCenter());
                }
            });
            return {x: p.x, y: p.y};
        }""",
        NAMES.grid_b1a_1,
    )
    page.locator("#density-map").scroll_into_view_if_needed()
    box = page.locator("#density-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/dashboard/cases/**")
    numbers = page.eval_on_selector_all("#drill-list tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert numbers == [month.cases["B1"].number, month.cases["B2"].number]
    screenshot(page, "drill-grid")
    assert errors == []


def test_township_officer_sees_only_its_township(page, month, screenshot):
    errors = watch_errors(page)
    open_dashboard(page, "township")
    page.wait_for_selector("#chart-rates[data-drawn='1']")
    assert page.get_attribute("#density-map", "data-grids") == "3"
    codes = page.evaluate(
        """() => {
            const codes = [];
            window.__civicgridDensityMap.eachLayer(l => { if (l.feature) codes.push(l.feature.properties.code); });
            return codes.sort();
        }"""
    )
    assert codes == [NAMES.grid_a1a_1, NAMES.grid_a1a_2, NAMES.grid_a1b_1]
    assert table_units(page) == ["donghu-office", "jiangdong-chengguan"]  # 城管 without 西湖's C4
    text = page.inner_text("main")
    assert "北山" not in text and "西湖" not in text
    options = page.eval_on_selector_all("#id_area option", "os => os.map(o => o.textContent.trim())")
    assert len(options) == 2 and "东湖街道" in options[1]
    screenshot(page, "township")
    # The period fields follow the chosen kind.
    page.select_option("#id_kind", "custom")
    assert page.is_visible("#id_start") and not page.is_visible("#id_month")
    page.fill("#id_start", "2026-11-30")
    page.fill("#id_end", "2026-11-01")
    page.click("#dash-filters button[type=submit]")
    page.wait_for_selector(".field--invalid")
    assert "结束日期不能早于开始日期" in page.inner_text("#dash-filters")
    screenshot(page, "bad-period")
    assert errors == []


def test_grid_worker_has_no_dashboard(page, month):
    login_through_form(page, "gridworker", PASSWORD)
    page.wait_for_url("**/")
    assert page.locator("nav.site-nav >> text=驾驶舱").count() == 0
    response = page.goto("/dashboard/")
    assert response.status == 403
