"""Loading the default taxonomy and taxonomy files: counts, idempotence, deactivation of categories
in use, and the file's error locations."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command

from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import ServiceError
from civicgrid.events.models import Category, DispatchRule
from civicgrid.events.taxonomy_file import DEFAULT_FILE, read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy

pytestmark = pytest.mark.django_db

MAJORS = 15
MINORS = 97


def default_data():
    return read_taxonomy_file(DEFAULT_FILE)


def test_default_taxonomy_loads_with_exact_counts():
    report = do_load_taxonomy(default_data(), actor=None, source="default")
    assert len(report.created) == MAJORS + MINORS
    assert Category.objects.filter(parent__isnull=True).count() == MAJORS
    assert Category.objects.filter(parent__isnull=False).count() == MINORS
    assert list(Category.objects.filter(parent__isnull=True).values_list("name", flat=True)) == [
        "市容环境",
        "宣传广告",
        "施工管理",
        "突发事件",
        "街面秩序",
        "扩展事件",
        "公用设施",
        "园林绿化",
        "矛盾纠纷",
        "治安隐患",
        "安全隐患",
        "民生服务",
        "特殊人群服务",
        "环境保护",
        "市场监管",
    ]
    # One batch audit row for the whole load.
    rows = ObjectChange.objects.filter(object_type="events.category")
    assert rows.count() == 1
    assert rows.get().after["summary"] == {
        "created": 112,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "deleted": 0,
    }


def test_default_limits_inheritance_and_emergencies():
    do_load_taxonomy(default_data(), actor=None)
    garbage = Category.objects.get(code="0101")
    assert (garbage.name, garbage.parent.code) == ("暴露垃圾", "01")
    assert (garbage.response_amount, garbage.response_unit) == (1, "working_days")
    assert (garbage.handling_amount, garbage.handling_unit, garbage.max_extension) == (5, "working_days", 5)
    assert garbage.required_fields[0] == {
        "key": "photo",
        "label": "现场照片",
        "type": "photo",
        "required": True,
    }
    assert {"word": "暴露垃圾", "weight": 2.0} in garbage.keywords
    assert {"word": "垃圾", "weight": 1.0} in garbage.keywords
    # 小类 inherit their 大类's limits: 突发事件 answers in hours and escalates by itself.
    collapse = Category.objects.get(code="0401")
    assert (collapse.response_amount, collapse.response_unit) == (2, "hours")
    assert (collapse.handling_amount, collapse.handling_unit) == (24, "hours")
    assert (collapse.priority, collapse.auto_escalate, collapse.emergency_transfer) == ("urgent", True, None)
    transfers = dict(
        Category.objects.exclude(emergency_transfer=None).values_list("code", "emergency_transfer")
    )
    assert transfers == {"0403": "119", "0405": "119", "0406": "122", "0407": "120", "0408": "110"}
    assert Category.objects.get(code="0405").priority == "critical"
    assert Category.objects.get(code="0902").handling_limit.amount == 30
    assert str(Category.objects.get(code="0902").handling_limit.unit) == "days"
    # The file's position gives the order.
    assert Category.objects.get(code="0103").sort_order == 30


def test_reload_is_idempotent_and_writes_no_audit_row():
    do_load_taxonomy(default_data(), actor=None)
    before = list(Category.objects.order_by("code").values())
    report = do_load_taxonomy(default_data(), actor=None)
    assert (report.created, report.updated, report.deactivated, report.deleted) == ([], {}, [], [])
    assert len(report.unchanged) == 112
    assert list(Category.objects.order_by("code").values()) == before
    assert ObjectChange.objects.filter(object_type="events.category").count() == 1


def test_reload_updates_changed_categories_and_audits_the_difference():
    do_load_taxonomy(default_data(), actor=None)
    data = default_data()
    data["categories"][0]["children"][0]["name"] = "暴露垃圾（含散落垃圾）"
    data["categories"][0]["children"][0]["handling"] = {"amount": 3, "unit": "working_days"}
    report = do_load_taxonomy(data, actor=None)
    assert report.updated == {"0101": ["name", "handling_amount"]}
    assert report.created == []
    row = ObjectChange.objects.filter(object_type="events.category").latest("id")
    assert row.before == {"0101": {"name": "暴露垃圾", "handling_amount": 5}}
    assert row.after["rows"] == {"0101": {"name": "暴露垃圾（含散落垃圾）", "handling_amount": 3}}


def test_missing_categories_are_deleted_when_unused_and_deactivated_when_in_use(world):
    do_load_taxonomy(default_data(), actor=None)
    used = Category.objects.get(code="0102")
    DispatchRule.objects.create(
        category=used, area=world.area("338001000000"), lead_unit=world.units["chengguan"]
    )
    data = default_data()
    children = data["categories"][0]["children"]
    data["categories"][0]["children"] = [c for c in children if c["code"] not in ("0102", "0103")]
    data["categories"] = [c for c in data["categories"] if c["code"] != "02"]  # 大类 with five 小类
    report = do_load_taxonomy(data, actor=None)
    assert report.deactivated == ["0102"]
    assert report.deleted == ["0103", "0201", "0202", "0203", "0204", "0205", "02"]
    assert Category.objects.get(code="0102").is_active is False
    assert not Category.objects.filter(code__in=["0103", "02", "0201"]).exists()
    # Putting it back in the file reactivates it.
    report = do_load_taxonomy(default_data(), actor=None)
    assert report.updated["0102"] == ["is_active"]
    # The others only moved back to their old place (sort order follows the file's order).
    assert {tuple(f) for code, f in report.updated.items() if code != "0102"} == {("sort_order",)}
    assert len(report.updated) == 1 + 5 + 12  # 0104–0107 in 市容环境, 03–15 after the restored 02
    assert report.created == ["0103", "02", "0201", "0202", "0203", "0204", "0205"]
    assert Category.objects.get(code="0102").is_active is True


def test_keep_missing_leaves_categories_alone():
    do_load_taxonomy(default_data(), actor=None)
    data = default_data()
    data["categories"] = data["categories"][:1]
    report = do_load_taxonomy(data, actor=None, prune=False)
    assert (report.deleted, report.deactivated) == ([], [])
    assert Category.objects.count() == 112


@pytest.mark.parametrize(
    ("mutate", "location", "code"),
    [
        (
            lambda d: d["categories"][0]["children"][1].update(code="0299"),
            "categories[0].children[1].code",
            "invalid_code",
        ),
        (lambda d: d["categories"][0].update(code="1"), "categories[0].code", "invalid_file"),
        (
            lambda d: d["categories"][0]["children"][0]["required_fields"][1].update(type="radio"),
            "categories[0].children[0].required_fields[1].type",
            "invalid_question",
        ),
        (
            lambda d: d["categories"][3]["children"][2].update(emergency_transfer="999"),
            "categories[3].children[2].emergency_transfer",
            "invalid_choice",
        ),
        (
            lambda d: d["categories"][1].update(handling={"amount": 0, "unit": "working_days"}),
            "categories[1].handling",
            "invalid_limit",
        ),
        (lambda d: d["categories"][1].update(colour="red"), "categories[1].colour", "unknown"),
        (
            lambda d: d["categories"][2]["children"].append(dict(d["categories"][2]["children"][0])),
            "categories[2].children[6].code",
            "duplicate",
        ),
    ],
)
def test_a_bad_file_names_the_place_and_writes_nothing(mutate, location, code):
    data = copy.deepcopy(default_data())
    mutate(data)
    with pytest.raises(ServiceError) as exc:
        do_load_taxonomy(data, actor=None)
    assert exc.value.field == location
    assert exc.value.code == "invalid_file"
    assert exc.value.params["errors"][0][0] == location
    assert Category.objects.count() == 0
    assert ObjectChange.objects.count() == 0


def test_a_bad_file_lists_every_error():
    data = default_data()
    data["categories"][0]["children"][0]["keywords"] = [""]
    data["categories"][14]["children"][0]["name"] = " "
    with pytest.raises(ServiceError) as exc:
        do_load_taxonomy(data, actor=None)
    assert exc.value.params["errors"] == [
        ("categories[0].children[0].keywords[0]", "关键词不能为空。"),
        ("categories[14].children[0].name", "名称不能为空。"),
    ]
    assert "分类文件有 2 处错误" in str(exc.value.message)


def test_command_reports_what_it_did(tmp_path, capsys):
    call_command("load_taxonomy")
    assert capsys.readouterr().out.splitlines()[0] == "新增 112，修改 0，未变 0，停用 0，删除 0"
    data = default_data()
    data["categories"][4]["children"][0]["name"] = "占道经营（含出店经营）"
    data["categories"][5]["children"] = data["categories"][5]["children"][:4]
    path = tmp_path / "city.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    call_command("load_taxonomy", str(path))
    assert capsys.readouterr().out.splitlines() == [
        "新增 0，修改 1，未变 110，停用 0，删除 1",
        "修改 0501：name",
        "删除：0605",
    ]
    call_command("load_taxonomy", str(path))
    assert capsys.readouterr().out.splitlines() == ["新增 0，修改 0，未变 111，停用 0，删除 0"]


def test_command_prints_every_error_and_fails(tmp_path, capsys):
    from django.core.management.base import CommandError

    path = tmp_path / "bad.json"
    path.write_text('{"categories": [{"code": "01", "name": ""}]}', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_taxonomy", str(path))
    assert capsys.readouterr().err.splitlines() == ["categories[0].name: 名称不能为空。"]
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_taxonomy", str(path))
    assert Category.objects.count() == 0
