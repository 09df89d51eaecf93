"""The permission matrix: every role of the world × targets in (own area, ancestor, descendant,
sibling, another county) × (list, retrieve, create, update, delete) on every scoped endpoint.

Expected statuses come from an oracle written here from two pieces of data — the built-in role
catalogue (`roles.SYSTEM_ROLES`) and the world's grants (GRANTS below) — never from `restrict`:

* the user holds the action nowhere → 403 (that answer does not depend on the object);
* list → 200, and exactly the targets whose path lies under a grant holding `view` are listed;
* retrieve / update / delete → 200 / 200 / 204 (or the endpoint's rule-based refusal, 400) where a
  grant holding the action covers the object's path, else 404 — the same 404, body and all, as a
  non-existent id;
* create → 201 where a grant holding `add` covers the new object's place, else 400 naming the field
  (an out-of-reach parent reads as a missing one).

On every denial (and every rule-based 400) nothing changed: row count, the target row's fields, and
no audit row. Each case is a test of its own, run inside a savepoint over one world built per class.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.db.models import Model
from django.test import TestCase
from rest_framework.test import APIClient

from civicgrid.accounts.models import RoleAssignment, Unit, User
from civicgrid.accounts.roles import SYSTEM_ROLES
from civicgrid.areas.models import Area, Grid
from civicgrid.audit.models import AccessLog, ObjectChange
from tests.world import build_world

CITY = "33/3380/"
COUNTY_A = "33/3380/338001/"
TOWNSHIP_A1 = "33/3380/338001/338001001/"
VILLAGE_A1A = "33/3380/338001/338001001/338001001001/"
GRID_A1A_1 = VILLAGE_A1A + "338001001001001/"
TOWNSHIP_B1 = "33/3380/338002/338002101/"

# Who holds which role where (tests/world.py), written out independently of the database.
GRANTS: dict[str, list[tuple[str, str]]] = {
    "gridworker": [("grid_worker", GRID_A1A_1)],
    "township": [("township_officer", TOWNSHIP_A1)],
    "county": [("county_dispatcher", COUNTY_A)],
    "city": [("city_dispatcher", CITY)],
    "handler": [("department_handler", COUNTY_A)],
    "mediator": [("mediator", TOWNSHIP_A1)],
    "leader": [("leader", CITY)],
    "auditor": [("auditor", CITY)],
    "admin": [("administrator", CITY)],
    "county_admin": [("administrator", COUNTY_A)],
    "outsider": [("township_officer", TOWNSHIP_B1)],
    "nobody": [],
}
ACTORS = list(GRANTS)


def holds_somewhere(actor: str, perm: str) -> bool:
    return any(perm in SYSTEM_ROLES[role]["permissions"] for role, _ in GRANTS[actor])


def allowed(actor: str, perm: str, path: str) -> bool:
    return any(perm in SYSTEM_ROLES[role]["permissions"] and path.startswith(p) for role, p in GRANTS[actor])


def position(actor: str, path: str) -> str:
    """Where a target lies relative to the actor's grant."""
    if not GRANTS[actor]:
        return "no_grant"
    grant = GRANTS[actor][0][1]
    if path == grant:
        return "own"
    if grant.startswith(path):
        return "ancestor"
    if path.startswith(grant):
        return "descendant"
    county = lambda p: p.split("/")[2] if len(p.split("/")) > 3 else ""  # noqa: E731
    return "sibling" if county(path) == county(grant) or not county(path) else "other_county"


@dataclass
class Target:
    key: str  # natural key (code / username)
    path: str  # the object's scope path
    create: dict | None = None  # payload creating a new object at this target's place
    create_path: str = ""  # scope path of the object that create would make
    delete_status: int = 204  # status of an allowed delete (400 where a rule refuses it)


@dataclass
class Endpoint:
    name: str
    url: str
    model: type[Model]
    perm: str  # "app.{verb}_model"
    lookup: str  # natural-key field
    update: dict
    targets: list[Target]
    update_status: int = 200
    no_update: bool = False  # no update: 405 for those holding `change` somewhere, else 403
    extra: dict = field(default_factory=dict)

    def obj(self, key):
        return self.model.objects.get(**{self.lookup: key})


def _area_create(code, name):
    return {"code": code, "name": name, "vintage": 2024}


ENDPOINTS = [
    Endpoint(
        "areas",
        "/api/v1/areas/",
        Area,
        "areas.{}_area",
        "code",
        {"name": "改名"},
        [
            Target("338000000000", CITY, _area_create("338003000000", "新区"), "33/3380/338003/", 400),
            Target(
                "338001000000",
                COUNTY_A,
                _area_create("338001005000", "新街道"),
                "33/3380/338001/338001005/",
                400,
            ),
            Target(
                "338001001000",
                TOWNSHIP_A1,
                _area_create("338001001005", "新社区"),
                TOWNSHIP_A1 + "338001001005/",
                400,
            ),
            Target("338001001001", VILLAGE_A1A, None, "", 400),
            Target(
                "338001002000",
                "33/3380/338001/338001002/",
                _area_create("338001002205", "新村"),
                "33/3380/338001/338001002/338001002205/",
                400,
            ),
            Target(
                "338002000000",
                "33/3380/338002/",
                _area_create("338002005000", "外街道"),
                "33/3380/338002/338002005/",
                400,
            ),
            Target(
                "338002101000",
                TOWNSHIP_B1,
                _area_create("338002101205", "外村"),
                TOWNSHIP_B1 + "338002101205/",
                400,
            ),
        ],
    ),
    Endpoint(
        "grids",
        "/api/v1/grids/",
        Grid,
        "areas.{}_grid",
        "code",
        {"name": "改名网格"},
        [
            # Grid A1a-1 is named by the grid worker's grant (PROTECT): an allowed delete is refused.
            Target(
                "338001001001001",
                GRID_A1A_1,
                {"village": "338001001001", "code": "338001001001009", "name": "新网格"},
                VILLAGE_A1A + "338001001001009/",
                400,
            ),
            Target("338001001001002", VILLAGE_A1A + "338001001001002/"),
            Target(
                "338001001002001",
                TOWNSHIP_A1 + "338001001002/338001001002001/",
                {"village": "338001001002", "code": "338001001002009", "name": "新网格"},
                TOWNSHIP_A1 + "338001001002/338001001002009/",
            ),
            Target(
                "338001002201001",
                "33/3380/338001/338001002/338001002201/338001002201001/",
                {"village": "338001002201", "code": "338001002201009", "name": "新网格"},
                "33/3380/338001/338001002/338001002201/338001002201009/",
            ),
            Target(
                "338002101201001",
                TOWNSHIP_B1 + "338002101201/338002101201001/",
                {"village": "338002101201", "code": "338002101201009", "name": "新网格"},
                TOWNSHIP_B1 + "338002101201/338002101201009/",
            ),
        ],
    ),
    Endpoint(
        "units",
        "/api/v1/units/",
        Unit,
        "accounts.{}_unit",
        "code",
        {"name": "改名单位"},
        [
            Target(
                "city-command-centre",
                CITY,
                {"code": "new-city", "name": "新单位", "area": "338000000000"},
                CITY,
            ),
            Target(
                "jiangdong-chengguan",
                COUNTY_A,
                {"code": "new-county", "name": "新单位", "area": "338001000000"},
                COUNTY_A,
            ),
            Target(
                "donghu-office",
                TOWNSHIP_A1,
                {"code": "new-a1", "name": "新单位", "area": "338001001000"},
                TOWNSHIP_A1,
            ),
            Target(
                "beishan-office",
                TOWNSHIP_B1,
                {"code": "new-b1", "name": "新单位", "area": "338002101000"},
                TOWNSHIP_B1,
            ),
        ],
    ),
    Endpoint(
        "users",
        "/api/v1/users/",
        User,
        "accounts.{}_user",
        "username",
        {"display_name": "改名"},
        [
            Target(
                "leader",
                CITY,
                {"username": "new_city", "password": "Lin-Jiang-2026!", "area": "338000000000"},
                CITY,
            ),
            Target(
                "county",
                COUNTY_A,
                {"username": "new_county", "password": "Lin-Jiang-2026!", "area": "338001000000"},
                COUNTY_A,
            ),
            Target(
                "township",
                TOWNSHIP_A1,
                {"username": "new_a1", "password": "Lin-Jiang-2026!", "area": "338001001000"},
                TOWNSHIP_A1,
            ),
            Target(
                "gridworker",
                VILLAGE_A1A,
                {"username": "new_a1a", "password": "Lin-Jiang-2026!", "area": "338001001001"},
                VILLAGE_A1A,
            ),
            Target(
                "outsider",
                TOWNSHIP_B1,
                {"username": "new_b1", "password": "Lin-Jiang-2026!", "area": "338002101000"},
                TOWNSHIP_B1,
            ),
        ],
    ),
    Endpoint(
        "role-assignments",
        "/api/v1/role-assignments/",
        RoleAssignment,
        "accounts.{}_roleassignment",
        "user__username",
        {"area": None},
        no_update=True,
        targets=[
            Target("leader", CITY, {"user": "handler", "role": "leader", "area": "338000000000"}, CITY),
            Target(
                "county", COUNTY_A, {"user": "handler", "role": "leader", "area": "338001000000"}, COUNTY_A
            ),
            Target(
                "township",
                TOWNSHIP_A1,
                {"user": "handler", "role": "leader", "area": "338001001000"},
                TOWNSHIP_A1,
            ),
            Target(
                "gridworker",
                GRID_A1A_1,
                {"user": "handler", "role": "leader", "grid": "338001001001001"},
                GRID_A1A_1,
            ),
            Target(
                "outsider",
                TOWNSHIP_B1,
                {"user": "handler", "role": "leader", "area": "338002101000"},
                TOWNSHIP_B1,
            ),
        ],
    ),
]


def resolve_payload(payload: dict) -> dict:
    """Natural keys in a create payload → ids."""
    out = dict(payload)
    for key, model, lookup in (
        ("area", Area, "code"),
        ("village", Area, "code"),
        ("grid", Grid, "code"),
        ("user", User, "username"),
    ):
        if isinstance(out.get(key), str) and not (key == "user" and "username" in out):
            out[key] = model.objects.get(**{lookup: out[key]}).pk
    if isinstance(out.get("role"), str):
        from civicgrid.accounts.models import Role

        out["role"] = Role.objects.get(code=out["role"]).pk
    return out


def row_state(obj: Model) -> dict | None:
    row = type(obj).objects.filter(pk=obj.pk).values().first()
    return row


_CLIENT: dict[str, APIClient] = {}


class PermissionMatrix(TestCase):
    @classmethod
    def setUpTestData(cls):
        build_world()

    def client_for(self, actor: str) -> APIClient:
        # One client (and so one request handler, whose middleware set-up is costly) for the whole
        # matrix; a fresh user object per case, so no grant cache outlives its case.
        client = _CLIENT.setdefault("client", APIClient())
        client.force_authenticate(User.objects.get(username=actor))
        return client

    def db_state(self, endpoint: Endpoint, obj: Model | None) -> tuple:
        return (
            endpoint.model.objects.count(),
            row_state(obj) if obj is not None else None,
            ObjectChange.objects.count(),
            AccessLog.objects.count(),
        )

    def assert_unchanged(self, before, endpoint, obj, response):
        self.assertEqual(
            self.db_state(endpoint, obj), before, f"a refused request changed data: {response.content!r}"
        )

    def check_write(self, endpoint, obj, expected, response):
        """The status is exact; a refusal changed nothing; a success wrote an audit row."""
        self.assertEqual(response.status_code, expected, response.content.decode())


def _missing_id_response(client, endpoint):
    return client.get(f"{endpoint.url}99999999/")


def make_list_case(endpoint: Endpoint, actor: str):
    def test(self):
        client = self.client_for(actor)
        response = client.get(endpoint.url, {"limit": 500})
        perm = endpoint.perm.format("view")
        if not holds_somewhere(actor, perm):
            self.assertEqual(response.status_code, 403)
            return
        self.assertEqual(response.status_code, 200, response.content.decode())
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        listed = {r["id"] for r in rows}
        for target in endpoint.targets:
            obj = endpoint.obj(target.key)
            self.assertEqual(
                obj.pk in listed, allowed(actor, perm, target.path), f"{target.key} listed wrongly"
            )

    return test


def make_object_case(endpoint: Endpoint, actor: str, target: Target, action: str):
    def test(self):
        client = self.client_for(actor)
        obj = endpoint.obj(target.key)
        url = f"{endpoint.url}{obj.pk}/"
        before = self.db_state(endpoint, obj)
        verb = {"retrieve": "view", "update": "change", "delete": "delete", "create": "add"}[action]
        perm = endpoint.perm.format(verb)
        if action == "retrieve":
            response = client.get(url)
            ok = 200
        elif action == "update":
            response = client.patch(url, endpoint.update, format="json")
            ok = 405 if endpoint.no_update else endpoint.update_status
        elif action == "delete":
            response = client.delete(url)
            ok = target.delete_status
        else:
            response = client.post(endpoint.url, resolve_payload(target.create), format="json")
            ok = 201
        if not holds_somewhere(actor, perm):
            expected = 403
        elif action == "create":
            expected = 201 if allowed(actor, perm, target.create_path) else 400
        elif endpoint.no_update and action == "update":
            expected = 405
        else:
            expected = ok if allowed(actor, perm, target.path) else 404
        self.assertEqual(response.status_code, expected, response.content.decode())
        if expected == 404 and (action == "retrieve" or position(actor, target.path) == "other_county"):
            # Forbidden looks exactly like missing (every retrieve; writes once per endpoint and actor,
            # where the target lies in another county, to keep the matrix fast).
            missing = (
                client.get(f"{endpoint.url}99999999/")
                if action == "retrieve"
                else (
                    client.patch(f"{endpoint.url}99999999/", endpoint.update, format="json")
                    if action == "update"
                    else client.delete(f"{endpoint.url}99999999/")
                )
            )
            self.assertEqual((missing.status_code, missing.json()), (404, response.json()))
        if expected in (200, 201, 204) and action != "retrieve":
            self.assertGreater(ObjectChange.objects.count(), before[2], "a write left no audit row")
        elif action != "retrieve":
            self.assert_unchanged(before, endpoint, obj, response)
        else:
            self.assertEqual(self.db_state(endpoint, obj), before)

    return test


CASE_COUNT = 0
POSITIONS: set[str] = set()
for _endpoint, _actor in itertools.product(ENDPOINTS, ACTORS):
    _name = _endpoint.name.replace("-", "_")
    setattr(PermissionMatrix, f"test_{_name}__{_actor}__list", make_list_case(_endpoint, _actor))
    CASE_COUNT += 1
    for _target in _endpoint.targets:
        _pos = position(_actor, _target.path)
        POSITIONS.add(_pos)
        for _action in ("retrieve", "create", "update", "delete"):
            if _action == "create" and _target.create is None:
                continue
            _test = make_object_case(_endpoint, _actor, _target, _action)
            setattr(PermissionMatrix, f"test_{_name}__{_actor}__{_action}__{_pos}__{_target.key}", _test)
            CASE_COUNT += 1


def test_the_matrix_covers_every_position_and_endpoint():
    assert {"own", "ancestor", "descendant", "sibling", "other_county", "no_grant"} <= POSITIONS
    assert {e.name for e in ENDPOINTS} == {"areas", "grids", "units", "users", "role-assignments"}
    assert CASE_COUNT > 1000
