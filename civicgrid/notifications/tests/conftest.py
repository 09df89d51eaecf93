import pytest

from civicgrid.notifications.senders import reset_senders

from .fakes import RecordingSender


@pytest.fixture
def recording_sender(settings):
    settings.CIVICGRID_SMS_SENDER = "civicgrid.notifications.tests.fakes.RecordingSender"
    settings.CIVICGRID_EMAIL_SENDER = "civicgrid.notifications.tests.fakes.RecordingSender"
    reset_senders()
    RecordingSender.reset()
    yield RecordingSender
    RecordingSender.reset()
    reset_senders()
