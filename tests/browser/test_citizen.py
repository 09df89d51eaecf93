"""The citizen pages in a real browser on a phone viewport: report a problem with a photo and the
phone's position → note the number and query code → follow the case from another phone → the staff
close it (through the services) → rate it 满意. Each page is saved to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from civicgrid.cases.models import Case
from civicgrid.events.models import Category, EventPhoto
from civicgrid.events.services import do_add_photo, do_event_action
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_create_dispatch_rule, do_load_taxonomy
from tests.browser.test_event_loop import png_bytes
from tests.world import NAMES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_VIEWPORT = {"width": 390, "height": 844}
IN_GRID = {"longitude": 120.01, "latitude": 30.02}  # 东湖社区第1网格


@pytest.fixture
def citizen_world(browser_world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from django.core.cache import cache

    cache.clear()
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
def phone(chromium_browser, live_server):
    contexts = []

    def open_phone(**options):
        context = chromium_browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport=PHONE_VIEWPORT,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            **options,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        return page

    yield open_phone
    for context in contexts:
        context.close()


def staff_close(world, number):
    def act(action, user, **payload):
        case = Case.objects.get(number=number)
        return do_event_action(case, action, actor=world.user(user), expected_version=case.version, **payload)

    act("register", "township")
    act("dispatch", "township")
    act("accept", "handler")
    case = Case.objects.get(number=number)
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = do_add_photo(
        case,
        SimpleUploadedFile("after.png", png_bytes(8, 8, (40, 160, 60)), content_type="image/png"),
        actor=world.user("handler"),
        stage="evidence",
    )
    act("handle", "handler", result="垃圾已清运，现场已清扫干净", evidence_photos=[photo.pk])
    act("verify", "township")
    act("close", "township")


def test_citizen_reports_follows_and_rates_on_a_phone(citizen_world, phone, screenshot, tmp_path):
    w = citizen_world
    page = phone(geolocation=IN_GRID, permissions=["geolocation"])
    page.goto("/citizen/")
    page.wait_for_selector("#citizen-map[data-drawn='1']")
    assert page.locator("#citizen-emergency").is_visible()
    screenshot(page, "1-report-empty")

    # A first try without name and phone: the page says what to fix, in Chinese, keeping the rest.
    page.fill("#id_description", "东湖路口有一堆生活垃圾，已经好几天没人清理，气味很大")
    page.select_option("#id_category", "0301")  # 施工扰民: its yes/no question appears at once
    page.wait_for_selector("select#id_answer_night_work")
    page.select_option("#id_category", "0101")
    page.wait_for_selector("select#id_answer_volume")
    page.click("#citizen-submit")
    page.wait_for_selector("#citizen-error")
    assert "请填写您的姓名" in page.text_content("body")
    screenshot(page, "1b-report-refused")
    page.wait_for_selector("#citizen-map[data-drawn='1']")
    photo = tmp_path / "scene.png"
    photo.write_bytes(png_bytes(64, 48, (200, 120, 40)))
    page.set_input_files("#id_photos", str(photo))
    page.click("#citizen-locate")
    page.wait_for_function("document.querySelector('input[name=lon]').value !== ''")
    page.fill("#id_address", "东湖路 12 号门口")
    page.fill("#id_reporter_name", "李四")
    page.fill("#id_reporter_phone", "13812345678")
    label = page.text_content("label[for=id_challenge_answer]")
    a, b = (int(n) for n in re.findall(r"\d+", label)[:2])
    page.fill("#id_challenge_answer", str(a + b))
    screenshot(page, "2-report-filled")
    page.click("#citizen-submit")
    page.wait_for_selector("#citizen-submitted")
    screenshot(page, "3-submitted")
    number = page.text_content("#citizen-number").strip()
    code = page.text_content("#citizen-code").strip()
    assert re.fullmatch(r"\w{4}-\w{4}", code)

    case = Case.objects.get(number=number)
    assert (case.event.channel, case.grid.code, case.created_by) == ("citizen", NAMES.grid_a1a_1, None)
    assert EventPhoto.objects.filter(case=case).count() == 1

    # Another phone follows the case by number and code.
    other = phone()
    other.goto("/citizen/follow/")
    other.fill("#id_number", number)
    other.fill("#id_secret", "ZZZZ-ZZZZ")
    other.click("#follow-submit")
    other.wait_for_selector("#follow-error")
    screenshot(other, "4-follow-wrong-code")
    other.fill("#id_secret", code)
    other.click("#follow-submit")
    other.wait_for_selector("#citizen-status")
    assert "等待受理" in other.text_content("#citizen-status")
    assert other.locator("#rate-form").count() == 0
    screenshot(other, "5-progress-reported")

    staff_close(w, number)
    other.reload()
    assert "已办结" in other.text_content("#citizen-status")
    assert "垃圾已清运" in other.text_content("#citizen-result")
    screenshot(other, "6-progress-closed")
    other.check("input[name=satisfaction][value=satisfied]")
    other.check("input[name=resolved][value=yes]")
    other.fill("#id_comment", "处理很及时，谢谢")
    other.click("#rate-submit")
    other.wait_for_selector("#citizen-rated")
    screenshot(other, "7-rated")
    assert Case.objects.get(number=number).status == "done"
    assert "评价：满意" in other.text_content("#citizen-timeline")
    assert not page.errors and not other.errors


def test_citizen_reports_without_javascript(citizen_world, phone, screenshot):
    """No script: no map, the village list and the address carry the place; the rest is the same."""
    page = phone(java_script_enabled=False)
    page.goto("/citizen/")
    assert not page.locator("#citizen-map-block").is_visible()
    page.fill("#id_description", "柳营村村口的路灯坏了一个星期，晚上很黑")
    page.select_option("#id_area_code", "338001002201")
    page.fill("#id_address", "柳营村村口")
    page.fill("#id_reporter_name", "王五")
    page.fill("#id_reporter_phone", "13700001111")
    label = page.text_content("label[for=id_challenge_answer]")
    a, b = (int(n) for n in re.findall(r"\d+", label)[:2])
    page.fill("#id_challenge_answer", str(a + b))
    screenshot(page, "1-filled")
    page.click("#citizen-submit")
    page.wait_for_selector("#citizen-submitted")
    number = page.text_content("#citizen-number").strip()
    case = Case.objects.get(number=number)
    assert (case.area.code, case.grid, case.event.category) == ("338001002201", None, None)
    page.click("#citizen-follow-link")
    page.wait_for_selector("#citizen-status")
    screenshot(page, "2-progress")
