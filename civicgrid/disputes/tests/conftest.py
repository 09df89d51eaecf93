"""Fixtures of the dispute tests: a township mediation committee with the world's mediator, and a
helper that registers a dispute with two parties in the seeded world."""

import pytest

from civicgrid.disputes import services
from civicgrid.disputes.models import MediationOrganisation

APPLICANT_ID = "11010519491231002X"
RESPONDENT_ID = "110101199003077774"


def parties():
    return [
        {
            "role": "applicant",
            "name": "张三",
            "id_card": APPLICANT_ID,
            "phone": "13912345678",
            "address": "东湖社区1号",
        },
        {"role": "respondent", "name": "李四", "id_card": RESPONDENT_ID, "phone": "13887654321"},
    ]


@pytest.fixture
def committee(world):
    org = MediationOrganisation.objects.create(
        name="东湖街道人民调解委员会", kind="township_committee", area=world.area("338001001000")
    )
    org.mediators.add(world.user("mediator"), world.user("township"))
    return org


@pytest.fixture
def register(world):
    def make(actor="township", *, grid="338001001001001", **overrides):
        values = {
            "title": "邻里漏水纠纷",
            "description": "楼上漏水，双方多次争吵。",
            "area": world.area(grid[:12]),
            "grid": world.grids[grid],
            "dispute_type": "property_mgmt",
            "amount": "3000",
            "people_count": 2,
            "source": "walk_in",
            "parties": parties(),
        }
        values.update(overrides)
        return services.do_register_dispute(actor=world.user(actor) if actor else None, **values)

    return make


@pytest.fixture
def act(world):
    """act(case, "accept", "township", organisation=…) → the case, re-read."""
    from civicgrid.cases.models import Case

    def run(case, action, actor, **data):
        case = Case.objects.get(pk=case.pk)
        return services.do_dispute_action(
            case, action, actor=world.user(actor), expected_version=case.version, **data
        )

    return run
