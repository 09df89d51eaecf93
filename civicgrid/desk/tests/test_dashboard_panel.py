"""The leaders' dashboard panel: red-grade disputes and petitions near or past their deadlines,
each reader seeing only their own area's (a leader of county A never sees county B's)."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.desk import queries
from tests.world import NAMES

from .conftest import OTHER, VISITOR

pytestmark = pytest.mark.django_db


def _dispute(world, username, area_code, title, red=True):
    from civicgrid.disputes.models import DisputeDetails
    from civicgrid.disputes.services import do_register_dispute

    case = do_register_dispute(
        actor=world.user(username),
        title=title,
        description="双方因宅基地边界发生争执",
        area=world.area(area_code),
        dispute_type="land",
        source="walk_in",
        parties=[{**VISITOR, "role": "applicant"}, {**OTHER, "role": "respondent"}],
    )
    if red:  # the grade itself is the disputes app's business (tested there); set it here
        DisputeDetails.objects.filter(case=case).update(risk_level="red", leader=world.user("leader"))
    return case


@pytest.fixture
def county_leader(desk_world):
    user = User.objects.create_user(username="county_leader", password="x", display_name="江东领导")
    area = desk_world.area(NAMES.county_a)
    RoleAssignment.objects.create(user=user, role=desk_world.roles["leader"], area=area, scope_path=area.path)
    return user


def test_leader_sees_red_disputes_of_their_area_only(desk_world, county_leader):
    mine = _dispute(desk_world, "township", NAMES.village_a1a, "宅基地纠纷（江东）")
    theirs = _dispute(desk_world, "outsider", NAMES.village_b1a, "宅基地纠纷（江西）")
    _dispute(desk_world, "township", NAMES.village_a1a, "普通纠纷", red=False)
    panel = queries.dashboard_panel(county_leader)
    assert [r["case"] for r in panel["red_disputes"]] == [mine] and panel["red_total"] == 1
    outsider = queries.dashboard_panel(desk_world.user("outsider"))
    assert [r["case"] for r in outsider["red_disputes"]] == [theirs]
    city = queries.dashboard_panel(desk_world.user("leader"))
    assert {r["case"] for r in city["red_disputes"]} == {mine, theirs}
    # Within a chosen area only.
    chosen = queries.dashboard_panel(desk_world.user("leader"), area=desk_world.area(NAMES.county_b))
    assert [r["case"] for r in chosen["red_disputes"]] == [theirs]


def test_dashboard_page_loads_the_panel(desk_world, county_leader):
    mine = _dispute(desk_world, "township", NAMES.village_a1a, "宅基地纠纷（江东）")
    theirs = _dispute(desk_world, "outsider", NAMES.village_b1a, "宅基地纠纷（江西）")
    client = Client()
    client.force_login(county_leader)
    page = client.get("/dashboard/")
    body = page.content.decode()
    assert page.status_code == 200 and 'hx-get="/desk/panel/"' in body
    chosen = client.get(
        "/dashboard/",
        {
            "kind": "month",
            "month": timezone.localdate().strftime("%Y-%m"),
            "area": desk_world.area(NAMES.township_a1).pk,
        },
    )
    assert f'hx-get="/desk/panel/?area={NAMES.township_a1}"' in chosen.content.decode()
    panel = client.get("/desk/panel/").content.decode()
    assert 'id="desk-panel"' in panel and mine.number in panel and theirs.number not in panel
    assert "包案领导" in panel
    assert client.get("/desk/panel/", {"area": NAMES.village_a1b}).content.decode().count(mine.number) == 0
    assert client.get("/desk/panel/", {"area": "nowhere"}).status_code == 404
    outsider = Client()
    outsider.force_login(desk_world.user("outsider"))
    theirs_panel = outsider.get("/desk/panel/").content.decode()
    assert theirs.number in theirs_panel and mine.number not in theirs_panel
    anonymous = Client().get("/desk/panel/")
    assert anonymous.status_code == 302


def _petitions_ready():
    try:
        from civicgrid.petitions import services as petition_services
    except ImportError:
        return False
    return hasattr(petition_services, "do_register_petition")


@pytest.mark.skipif(not _petitions_ready(), reason="petitions kind not installed")
def test_petitions_near_their_deadline(desk_world, county_leader):
    from civicgrid.petitions.services import do_register_petition

    start = timezone.now() - dt.timedelta(days=40)
    with time_machine.travel(start, tick=False):
        case = do_register_petition(
            actor=desk_world.user("petition"),
            title="征地补偿未到位",
            description="要求落实补偿",
            area=desk_world.area(NAMES.village_a1a),
            channel="visit",
            petition_class="claim",
            parties=[{**VISITOR, "role": "petitioner"}],
        )
    assert case.due_at is not None and case.due_at < timezone.now()
    panel = queries.dashboard_panel(county_leader)
    assert [r["case"] for r in panel["petitions_due"]] == [case]
    assert panel["petitions_due"][0]["deadline"] == "red" and panel["overdue_total"] == 1
    assert queries.dashboard_panel(desk_world.user("outsider"))["petitions_due"] == []
    # A fresh petition is not near its deadline yet.
    fresh = do_register_petition(
        actor=desk_world.user("petition"),
        title="道路破损",
        description="请求维修",
        area=desk_world.area(NAMES.village_a1a),
        channel="visit",
        petition_class="suggestion",
        parties=[{**VISITOR, "role": "petitioner"}],
    )
    assert fresh not in [r["case"] for r in queries.dashboard_panel(county_leader)["petitions_due"]]
