"""Fixtures of the Open311 tests: the events world (default taxonomy and catalogue), a service with
one question of every type, and a client bound to 江东区 (county A) with its key."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.test import Client as HttpClient
from referencing import Registry, Resource

from civicgrid.areas.models import Area
from civicgrid.events.models import Category
from civicgrid.events.taxonomy_services import do_create_category
from civicgrid.events.tests.test_event_workflow import events_world, media  # noqa: F401 - fixtures
from civicgrid.open311.services import do_create_client
from tests.world import NAMES

SCHEMA_DIR = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "open311_georeport_v2" / "schema"
)
IN_GRID = (120.01, 30.02)  # 东湖社区第1网格, county A
IN_COUNTY_B = (120.21, 30.02)  # 北山村, county B

QUESTIONS = [
    {"key": "plate", "label": "车牌号", "type": "text", "required": True},
    {"key": "detail", "label": "详细经过", "type": "longtext"},
    {"key": "count", "label": "车辆数", "type": "number"},
    {"key": "seen_at", "label": "发现时间", "type": "datetime"},
    {"key": "kind", "label": "车辆类型", "type": "choice", "choices": ["小汽车", "货车", "电动车"]},
    {"key": "blocking", "label": "是否堵塞通道", "type": "bool"},
    {"key": "sides", "label": "占用位置", "type": "multichoice", "choices": ["人行道", "盲道", "消防通道"]},
    {"key": "day", "label": "发现日期", "type": "date"},
]


@pytest.fixture
def o311(events_world):  # noqa: F811
    w = events_world
    parent = Category.objects.get(code="01")
    do_create_category(
        actor=None,
        code="0199",
        name="违规停车",
        parent=parent,
        required_fields=QUESTIONS,
        keywords=["乱停车", "占道停车"],
        service_notice="城管部门将在 3 个工作日内处理。",
    )
    client, key = do_create_client(actor=None, name="东湖随手拍", area=w.area(NAMES.county_a))
    w.open311_client, w.open311_key = client, key
    return w


@pytest.fixture
def http():
    return HttpClient()


def schema_validator(name: str):
    registry = Registry()
    for path in SCHEMA_DIR.glob("*.json"):
        registry = registry.with_resource(path.name, Resource.opaque(json.loads(path.read_text())))
    schema = json.loads((SCHEMA_DIR / name).read_text())
    return jsonschema.Draft4Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())


def swagger_validator(definition: str):
    """An array of the swagger.json definition (RequestResponse, TokenResponse: the answers that
    have no file of their own in the shared schemas)."""
    swagger = json.loads((SCHEMA_DIR / "swagger.json").read_text())
    schema = {
        "type": "array",
        "items": {"$ref": f"#/definitions/{definition}"},
        "definitions": swagger["definitions"],
    }
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def valid_json(response, schema: str | None):
    """The body as JSON, validated against the shared schema when one is named (a file of
    schema/, or "swagger:<Definition>")."""
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content.decode("utf-8"))
    if schema is not None:
        if schema.startswith("swagger:"):
            validator = swagger_validator(schema.removeprefix("swagger:"))
        else:
            validator = schema_validator(schema)
        errors = list(validator.iter_errors(body))
        assert not errors, [e.message for e in errors]
    return body


def xml_of(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def shape(element: ET.Element) -> dict:
    """An element's tag tree (children by tag, first of each), for comparing with the spec examples."""
    children = {}
    for child in element:
        children.setdefault(child.tag, shape(child))
    return children


def spec_example(name: str) -> ET.Element:
    path = SCHEMA_DIR.parent / "spec_examples" / name
    return ET.fromstring(path.read_bytes())  # noqa: S314 - a shipped fixture


def area(code: str) -> Area:
    return Area.objects.get(code=code)
