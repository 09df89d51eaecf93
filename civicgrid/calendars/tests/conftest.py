import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test's database differs from the last one's: drop the process's cached calendar."""
    from civicgrid.calendars import store

    store.reset()
    yield
    store.reset()


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="calendar-admin", password="x-Long-Pass-1")
