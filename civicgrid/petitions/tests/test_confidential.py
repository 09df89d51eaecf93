"""检举控告: confidential, seen only by the discipline-inspection role; the accused (and their unit,
even when dispatched to) never sees it; never transferred to the accused's unit (Art.30)."""

from __future__ import annotations

import pytest

from civicgrid.cases import services as kernel
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotPermitted, ServiceError

from .conftest import ID_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def accusation(world, register):
    return register(
        title="检举某局工作人员索要好处费",
        description="办理审批时被索要好处费。",
        petition_class="accusation",
        parties=[
            {"role": "petitioner", "name": "张三", "id_card": ID_A},
            {"role": "accused", "name": "孙承办", "data": {"unit": world.units["chengguan"].pk}},
        ],
    )


def visible(user, case):
    return Case.objects.restrict(user, "cases.view_case").filter(pk=case.pk).exists()


def test_only_the_discipline_inspector_sees_it(world, accusation):
    assert accusation.confidential
    assert visible(world.user("inspector"), accusation)
    # The registering petition officer loses sight of it (documented choice), as does everyone else.
    for name in ("petition", "handler", "county", "city", "leader", "auditor", "township", "outsider"):
        assert not visible(world.user(name), accusation), name
        assert not kernel.can_act(world.user(name), "cases.view_case", accusation), name


def test_never_transferred_to_the_accused_unit(world, accusation):
    inspector = world.user("inspector")
    with pytest.raises(ServiceError) as info:
        kernel.do_apply_action(
            accusation, "transfer", actor=inspector, expected_version=1, unit=world.units["chengguan"].pk
        )
    assert (info.value.code, info.value.field) == ("accused_unit", "unit")
    accusation.refresh_from_db()
    assert accusation.status == "registered" and not accusation.assignments.exists()
    case = kernel.do_apply_action(
        accusation, "transfer", actor=inspector, expected_version=1, unit=world.units["discipline"].pk
    )
    case = kernel.do_apply_action(case, "accept", actor=inspector, expected_version=case.version)
    assert case.status == "accepted"


def test_the_accused_unit_dispatched_to_still_gets_nothing(world, accusation):
    # Even a dispatch by the system to the accused's unit gives its staff no sight (kernel rule).
    kernel.do_assign(accusation, [], world.units["chengguan"], actor=None, expected_version=1)
    handler = world.user("handler")
    assert not visible(handler, accusation)
    with pytest.raises(NotPermitted):
        kernel.do_apply_action(accusation, "accept", actor=handler, expected_version=2)
