"""One event through the whole loop in a real browser, as the roles who do each step:

the grid worker reports it from the phone page with a photo and the phone's location → the city
dispatcher registers it (category preselected) and dispatches it (lead unit preselected from the
catalogue) → the department handler accepts it, uploads an evidence photo and reports back → the
dispatcher verifies and closes it → the callback: satisfied. Each page is saved to test-artifacts/.
"""

from __future__ import annotations

import struct
import zlib

import pytest

from civicgrid.cases.models import Case
from civicgrid.events.models import Category, EventPhoto
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_create_dispatch_rule, do_load_taxonomy
from tests.browser.conftest import login_through_form
from tests.world import NAMES, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IN_GRID = {"longitude": 120.01, "latitude": 30.02}  # 东湖社区第1网格


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid-colour PNG, so the thumbnails show something real."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def loop_world(browser_world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = browser_world
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    do_create_dispatch_rule(
        actor=None,
        category=Category.objects.get(code="0101"),
        area=w.area(NAMES.county_a),
        lead_unit=w.units["chengguan"],
        co_handlers=[w.units["donghu_office"]],
    )
    return w


@pytest.fixture
def as_user(chromium_browser, live_server):
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


def take(page, action: str, **fields) -> None:
    """Open the action's form on the case page, fill it, submit, wait for the page to come back."""
    box = page.locator(f"details[data-action={action}]")
    box.locator("summary").click()
    for selector, value in fields.items():
        box.locator(selector).fill(value)
    with page.expect_navigation():
        box.locator("button[type=submit]").click()


def status(page) -> str:
    return page.inner_text("#case-status")


def test_one_event_through_the_whole_loop(loop_world, as_user, screenshot, tmp_path):
    scene = tmp_path / "scene.png"
    scene.write_bytes(png_bytes(96, 64, (150, 110, 60)))
    after = tmp_path / "after.png"
    after.write_bytes(png_bytes(96, 64, (60, 150, 90)))

    # 1. The grid worker reports from the phone page, with a photo and the phone's location.
    worker = as_user(
        "gridworker",
        viewport={"width": 390, "height": 844},
        geolocation=IN_GRID,
        permissions=["geolocation"],
        is_mobile=True,
    )
    worker.goto("/events/report/")
    worker.wait_for_function("document.querySelector('#id_lon').value !== ''")
    assert worker.input_value("#id_lon") == "120.010000"
    assert worker.input_value("#id_crs") == "wgs84"
    worker.fill("#id_title", "东湖路口暴露垃圾")
    worker.fill("#id_description", "东湖路与湖滨路路口有一堆生活垃圾，已两天无人清运。")
    worker.wait_for_selector("#category-suggestions button[data-code='0101']")
    worker.click("#category-suggestions button[data-code='0101']")
    assert worker.input_value("#id_category") == "0101"
    assert worker.locator("#id_answer_volume").count() == 1
    worker.select_option("#id_answer_volume", "一车以内")
    worker.fill("#id_address", "东湖路与湖滨路路口")
    worker.fill("#id_reporter_name", "张三")
    worker.fill("#id_reporter_phone", "13912345678")
    worker.set_input_files("#id_photos", str(scene))
    screenshot(worker, "1-report")
    with worker.expect_navigation():
        worker.click("#intake-submit")
    case = Case.objects.get()
    assert worker.inner_text("#case-number") == case.number
    assert status(worker) == "已上报"
    assert worker.inner_text("#event-channel") == "网格巡查"
    assert worker.locator("#event-photos img").count() == 1
    # The thumbnails load lazily: below the phone's fold they load once scrolled to.
    worker.locator("#event-photos img").scroll_into_view_if_needed()
    worker.wait_for_function("document.querySelector('#event-photos img').complete")
    assert worker.evaluate("document.querySelector('#event-photos img').naturalWidth") == 96
    screenshot(worker, "2-reported")

    # 2. The city dispatcher registers (category preselected) and dispatches (catalogue preselected).
    city = as_user("city")
    city.goto(f"/cases/{case.number}/")
    assert "张* · 139****5678" in city.inner_text("#event-reporter")
    city.locator("details[data-action=register] summary").click()
    assert city.input_value("#id_register-category") == "0101"
    with city.expect_navigation():
        city.locator("details[data-action=register] button[type=submit]").click()
    assert status(city) == "已立案"
    city.locator("details[data-action=dispatch] summary").click()
    lead = loop_world.units["chengguan"]
    assert city.input_value("#id_dispatch-lead_unit") == str(lead.pk)
    screenshot(city, "3-dispatch-form")
    with city.expect_navigation():
        city.locator("details[data-action=dispatch] button[type=submit]").click()
    assert status(city) == "已派遣"
    assert "江东区城市管理局" in city.inner_text("#assignments")
    screenshot(city, "4-dispatched")

    # 3. The department handler accepts, uploads the evidence photo and reports back.
    handler = as_user("handler")
    handler.goto(f"/cases/{case.number}/")
    take(handler, "accept")
    assert status(handler) == "处置中"
    handler.set_input_files("#photo-upload input[type=file]", str(after))
    with handler.expect_navigation():
        handler.click("#photo-upload button[type=submit]")
    assert handler.locator("#event-photos [data-stage=evidence] img").count() == 1
    handler.locator("details[data-action=handle] summary").click()
    evidence = EventPhoto.objects.get(case=case, stage="evidence")
    assert handler.is_checked(f"#case-actions input[name=handle-evidence_photos][value='{evidence.pk}']")
    handler.fill("#id_handle-result", "已组织清运，路口恢复整洁。")
    screenshot(handler, "5-handle-form")
    with handler.expect_navigation():
        handler.locator("details[data-action=handle] button[type=submit]").click()
    assert status(handler) == "已反馈"

    # 4. The dispatcher verifies and closes; the callback: satisfied.
    city.goto(f"/cases/{case.number}/")
    assert "已组织清运" in city.inner_text("#event-result")
    take(city, "verify")
    assert status(city) == "已核查"
    take(city, "close")
    assert status(city) == "已结案"
    city.locator("details[data-action=callback] summary").click()
    city.check("#case-actions input[name=callback-satisfaction][value=satisfied]")
    screenshot(city, "6-callback-form")
    with city.expect_navigation():
        city.locator("details[data-action=callback] button[type=submit]").click()
    assert status(city) == "已回访"
    assert city.inner_text("#event-callback").startswith("满意")

    # The reporter, revealed on the finished case (written to the access log).
    with city.expect_navigation():
        city.click("#reveal-reporter")
    assert city.inner_text("#reporter-revealed") == "张三 · 13912345678"
    screenshot(city, "7-done")
    case.refresh_from_db()
    assert (case.status, case.event.satisfaction) == ("done", "satisfied")
    assert worker.errors == city.errors == handler.errors == []
