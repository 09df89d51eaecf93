"""The demo petitions go through the real services and run once."""

import pytest

from civicgrid.cases.models import Case
from civicgrid.petitions.demo import create_petitions, demo_id_card

pytestmark = pytest.mark.django_db


def test_demo_petitions_in_every_stage_once(world):
    assert create_petitions() == 10
    statuses = set(Case.objects.filter(kind="petition").values_list("status", flat=True))
    assert {"registered", "transferred", "accepted", "under_review", "objected"} <= statuses
    assert {"not_accepted", "concluded"} <= statuses
    assert Case.objects.filter(kind="petition", confidential=True).count() == 1
    assert Case.objects.filter(kind="petition", petition__repeat_of__isnull=False).count() == 1
    assert create_petitions() == 0


def test_demo_id_cards_are_valid():
    from civicgrid.accounts.services import clean_id_card

    for serial in range(30):
        assert clean_id_card(demo_id_card(serial)) == demo_id_card(serial)
