"""Category services: question schema validation naming the field, keyword rules, limits, and who may
change the city-wide taxonomy."""

from __future__ import annotations

import pytest

from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.events.models import Category
from civicgrid.events.taxonomy_services import (
    clean_keywords,
    clean_questions,
    do_create_category,
    do_update_category,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("questions", "field", "code"),
    [
        ("photo", "required_fields", "invalid_question"),
        (["photo"], "required_fields[0]", "invalid_question"),
        ([{"key": "Photo", "label": "照片", "type": "photo"}], "required_fields[0].key", "invalid_question"),
        ([{"key": "photo", "label": "", "type": "photo"}], "required_fields[0].label", "required"),
        ([{"key": "photo", "label": "照片", "type": "image"}], "required_fields[0].type", "invalid_question"),
        (
            [
                {"key": "photo", "label": "照片", "type": "photo"},
                {"key": "photo", "label": "又一张", "type": "photo"},
            ],
            "required_fields[1].key",
            "invalid_question",
        ),
        (
            [{"key": "kind", "label": "类型", "type": "choice"}],
            "required_fields[0].choices",
            "invalid_question",
        ),
        (
            [{"key": "kind", "label": "类型", "type": "choice", "choices": ["雨水", "雨水"]}],
            "required_fields[0].choices",
            "invalid_question",
        ),
        (
            [{"key": "n", "label": "人数", "type": "number", "choices": ["1"]}],
            "required_fields[0].choices",
            "invalid_question",
        ),
        (
            [{"key": "n", "label": "人数", "type": "number", "required": "yes"}],
            "required_fields[0].required",
            "invalid",
        ),
        (
            [{"key": "n", "label": "人数", "type": "number", "min": 1}],
            "required_fields[0].min",
            "invalid_question",
        ),
    ],
)
def test_question_schema_errors_name_the_field(questions, field, code):
    with pytest.raises(ServiceError) as exc:
        clean_questions(questions)
    assert (exc.value.field, exc.value.code) == (field, code)


def test_questions_are_normalised():
    assert clean_questions(
        [
            {
                "key": "kind",
                "label": " 井盖类型 ",
                "type": "choice",
                "choices": [" 雨水", "污水 "],
                "required": True,
            },
            {"key": "n", "label": "人数", "type": "number", "help": "估计即可"},
        ]
    ) == [
        {"key": "kind", "label": "井盖类型", "type": "choice", "choices": ["雨水", "污水"], "required": True},
        {"key": "n", "label": "人数", "type": "number", "required": False, "help": "估计即可"},
    ]


def test_keywords_get_a_weight_by_length_unless_given():
    assert clean_keywords(
        ["井盖", "路灯坏", "暴露垃圾", "私搭乱建房屋", {"word": "垃圾", "weight": 0.5}][:4]
    ) == [
        {"word": "井盖", "weight": 1.0},
        {"word": "路灯坏", "weight": 1.5},
        {"word": "暴露垃圾", "weight": 2.0},
        {"word": "私搭乱建房屋", "weight": 2.0},
    ]
    assert clean_keywords([{"word": "垃圾", "weight": 0.5}]) == [{"word": "垃圾", "weight": 0.5}]
    for bad, field in (
        (["垃圾", "垃圾"], "keywords[1]"),
        ([{"word": "垃圾", "weight": 0}], "keywords[0].weight"),
        ([{"word": "垃圾", "weight": 11}], "keywords[0].weight"),
        ([" "], "keywords[0]"),
        (["长" * 21], "keywords[0]"),
    ):
        with pytest.raises(ServiceError) as exc:
            clean_keywords(bad)
        assert (exc.value.field, exc.value.code) == (field, "invalid_keyword")


def test_create_category_with_defaults_and_audit(world):
    major = do_create_category(actor=world.user("admin"), code="90", name="本地扩展")
    minor = do_create_category(
        actor=world.user("admin"),
        code="9001",
        name="共享单车淤积",
        parent=major,
        response_amount=2,
        response_unit="hours",
        emergency_transfer=None,
        required_fields=[{"key": "photo", "label": "照片", "type": "photo", "required": True}],
        keywords=["单车淤积"],
    )
    minor.refresh_from_db()
    assert (minor.response_amount, minor.response_unit) == (2, "hours")
    assert (minor.handling_amount, minor.handling_unit) == (5, "working_days")
    assert minor.keywords == [{"word": "单车淤积", "weight": 2.0}]
    assert ObjectChange.objects.filter(object_type="events.category", action="create").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"code": "9101"}, "code", "invalid_code"),  # a 小类 code must extend its 大类's
        ({"code": "90a1"}, "code", "invalid_code"),
        ({"code": "9001", "response_amount": 0}, "response_amount", "invalid_limit"),
        ({"code": "9001", "handling_unit": "weeks"}, "handling_unit", "invalid_limit"),
        ({"code": "9001", "emergency_transfer": "999"}, "emergency_transfer", "invalid_choice"),
        ({"code": "9001", "priority": "asap"}, "priority", "invalid_choice"),
        ({"code": "9001", "path": "x"}, "path", "unknown_field"),
        (
            {"code": "9001", "required_fields": [{"key": "a", "label": "甲", "type": "list"}]},
            "required_fields[0].type",
            "invalid_question",
        ),
    ],
)
def test_create_category_rejects_bad_input(world, kwargs, field, code):
    major = do_create_category(actor=None, code="90", name="本地扩展")
    count = ObjectChange.objects.count()
    with pytest.raises(ServiceError) as exc:
        do_create_category(actor=world.user("admin"), name="小类", parent=major, **kwargs)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert Category.objects.count() == 1
    assert ObjectChange.objects.count() == count


def test_no_third_level_and_no_duplicate_code(world):
    major = do_create_category(actor=None, code="90", name="本地扩展")
    minor = do_create_category(actor=None, code="9001", name="小类", parent=major)
    with pytest.raises(ServiceError) as exc:
        do_create_category(actor=None, code="900101", name="细类", parent=minor)
    assert (exc.value.field, exc.value.code) == ("parent", "too_deep")
    with pytest.raises(ServiceError) as exc:
        do_create_category(actor=None, code="9001", name="重复", parent=major)
    assert (exc.value.field, exc.value.code) == ("code", "duplicate_code")


@pytest.mark.parametrize("username", ["county_admin", "county", "township", "nobody", "auditor"])
def test_only_a_citywide_grant_may_change_the_taxonomy(world, username):
    major = do_create_category(actor=None, code="90", name="本地扩展")
    count = ObjectChange.objects.count()
    with pytest.raises(NotPermitted):
        do_update_category(major, actor=world.user(username), name="改名")
    with pytest.raises(NotPermitted):
        do_create_category(actor=world.user(username), code="91", name="新类")
    major.refresh_from_db()
    assert major.name == "本地扩展"
    assert Category.objects.count() == 1
    assert ObjectChange.objects.count() == count


def test_update_category_and_deactivation_rules(world):
    admin = world.user("admin")
    major = do_create_category(actor=None, code="90", name="本地扩展")
    minor = do_create_category(actor=None, code="9001", name="小类", parent=major)
    do_update_category(minor, actor=admin, handling_amount=3, auto_escalate=True)
    minor.refresh_from_db()
    assert (minor.handling_amount, minor.handling_unit, minor.auto_escalate) == (3, "working_days", True)
    row = ObjectChange.objects.filter(object_type="events.category", action="update").get()
    assert (row.before, row.after) == (
        {"auto_escalate": False, "handling_amount": 5},
        {"auto_escalate": True, "handling_amount": 3},
    )
    with pytest.raises(ServiceError) as exc:
        do_update_category(major, actor=admin, is_active=False)
    assert (exc.value.field, exc.value.code) == ("is_active", "has_children")
    major.refresh_from_db()
    assert major.is_active is True
    do_update_category(minor, actor=admin, is_active=False)
    do_update_category(major, actor=admin, is_active=False)
    with pytest.raises(ServiceError) as exc:
        do_update_category(minor, actor=admin, is_active=True)
    assert (exc.value.field, exc.value.code) == ("is_active", "inactive_target")
    # An update that changes nothing writes nothing.
    count = ObjectChange.objects.count()
    do_update_category(minor, actor=admin, handling_amount=3)
    assert ObjectChange.objects.count() == count
