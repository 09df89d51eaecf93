"""Shared pytest fixtures: the seeded world, API clients per user, and the skips for optional
resources (../shared/data, Debian's chromium)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("CIVICGRID_SHARED_DATA", Path(__file__).resolve().parent.parent / "shared" / "data")
)
CHROMIUM = Path(os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium"))


def pytest_configure(config):
    from django.conf import settings

    # Argon2 is deliberately slow; tests hash dozens of passwords per world. One test
    # (accounts/tests) checks that production settings hash with Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    skip_browser = pytest.mark.skip(
        reason=f"browser test: {CHROMIUM} not installed (apt-get install chromium)"
    )
    skip_data = pytest.mark.skip(reason=f"needs the shared data set at {SHARED_DATA}, which is absent")
    for item in items:
        if "browser" in item.keywords and not CHROMIUM.exists():
            item.add_marker(skip_browser)
        if "shared_data" in item.keywords and not SHARED_DATA.is_dir():
            item.add_marker(skip_data)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not CHROMIUM.exists():
        terminalreporter.write_line(
            f"NOTE: browser tests were skipped because {CHROMIUM} is absent; install Debian's chromium to run them.",
            yellow=True,
        )


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared data set at {SHARED_DATA}, which is absent")
    return SHARED_DATA


@pytest.fixture
def world(db):
    from tests.world import build_world

    return build_world()


@pytest.fixture
def api_client_for(world):
    """api_client_for("township") → a DRF APIClient logged in as that world user (None → anonymous)."""
    from rest_framework.test import APIClient

    def make(username: str | None):
        client = APIClient()
        if username:
            client.force_authenticate(world.user(username))
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test's database differs from the last one's: drop the process's cached locate index
    and working-day calendar."""
    from civicgrid.areas import spatial_index
    from civicgrid.calendars import store

    spatial_index.reset()
    store.reset()
    yield
    spatial_index.reset()
    store.reset()


@pytest.fixture(autouse=True)
def _english_off(settings):
    settings.LANGUAGE_CODE = "zh-hans"
