"""Fixtures of the desk's tests: the seeded world (whose built-in roles carry the desk's
permissions, civicgrid.accounts.roles), and a helper to register a visit."""

import pytest

from tests.world import NAMES

VISITOR = {
    "role": "visitor",
    "kind": "person",
    "name": "张三",
    "id_card": "11010519491231002X",
    "phone": "13912345678",
}
OTHER = {
    "role": "other_party",
    "kind": "person",
    "name": "李四",
    "phone": "13812345678",
    "address": "东湖社区 3 幢",
}


@pytest.fixture
def desk_world(world):
    return world


@pytest.fixture
def register(desk_world):
    from civicgrid.desk.services import do_register_visit

    def make(username="township", **kwargs):
        values = {
            "title": "邻居装修噪音扰民",
            "description": "楼上装修每天晚上十点后仍在施工",
            "parties": [dict(VISITOR), dict(OTHER)],
            "grid_code": NAMES.grid_a1a_1,
        }
        values.update(kwargs)
        return do_register_visit(actor=desk_world.user(username), **values)

    return make
