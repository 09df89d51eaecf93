"""Playwright against Debian's chromium and pytest-django's live server.

The live server runs in another thread, so these tests use `transactional_db` and build the seeded
world themselves. Playwright's sync API keeps an event loop on this thread, which Django's async
safety check mistakes for async code; DJANGO_ALLOW_ASYNC_UNSAFE tells it that the ORM calls here are
plain synchronous ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CHROMIUM

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser test: {CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_world(transactional_db):
    from tests.world import build_world

    return build_world()


@pytest.fixture
def page(chromium_browser, live_server, browser_world):
    """A fresh browser context (no cookies) whose relative URLs point at the live server."""
    context = chromium_browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves test-artifacts/<test>-<name>.png (gitignored) to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login_through_form(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].button--primary")
