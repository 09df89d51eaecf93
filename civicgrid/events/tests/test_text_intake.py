# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""The intake with the text layer: the active model suggests categories (confident → preselected,
else the classification queue), the keyword rules remain the fallback, a broken, missing or
old-format model or a failing text layer never fails or blocks a report; urgency flags with their
reason, scoped to who can see the case; corrections; the "events" training source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    act,
    events_world,
    media,
    report,
)
from civicgrid.textintel import services
from civicgrid.textintel.models import CaseText, TextCorrection, UrgencyFlag
from civicgrid.textintel.tests.conftest import _text_state  # noqa: F401  (autouse fixture)
from civicgrid.textintel.tests.corpus import corpus
from civicgrid.textintel.training import examples_from_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(events_world):
    model = services.do_train_model(corpus(), source="test", actor=None, folds=0)
    return services.do_activate_model(model, actor=None)


def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def unclassified(world, **kw):
    kw.setdefault("category", None)
    kw.setdefault("photos", [])
    return report(world, **kw).case


def test_keyword_rules_without_a_model(events_world):
    case = unclassified(events_world, title="东湖路暴露垃圾", description="路边有一堆生活垃圾")
    assert case.event.suggested_categories[0]["code"] == "0101"
    assert "source" not in case.event.suggested_categories[0]  # the rules' shape is unchanged
    assert CaseText.objects.get(case=case).routing == "rules"


def test_a_confident_model_preselects(events_world, active):
    case = unclassified(events_world, title="西山街工地夜间施工噪音扰民", description="晚上十一点还在打桩")
    first = case.event.suggested_categories[0]
    assert first["code"] == "0301" and first["source"] == "model" and first["preselected"] is True
    assert first["model_version"] == active.version and 0 < first["confidence"] <= 1
    text = CaseText.objects.get(case=case)
    assert text.routing == "preselected" and not text.needs_review
    assert case.event.category is None  # preselected for the dispatcher, not decided by the model


def test_low_confidence_goes_to_the_classification_queue(events_world, active):
    services.do_set_threshold(active, 0.999, actor=None)
    case = unclassified(events_world, title="有问题", description="请处理一下")
    text = CaseText.objects.get(case=case)
    assert text.routing == "queue" and text.needs_review
    assert not any(s.get("preselected") for s in case.event.suggested_categories)
    queue = client(events_world.user("township")).get("/api/v1/textintel/queue/").json()["results"]
    assert [row["case"] for row in queue] == [case.pk]
    assert client(events_world.user("outsider")).get("/api/v1/textintel/queue/").json()["results"] == []
    # The dispatcher decides: the case leaves the queue; a different category is a correction.
    act(events_world, case, "register", "township", category="0102")  # registering notes the decision
    text.refresh_from_db()
    assert not text.needs_review and text.reviewed_at is not None
    correction = TextCorrection.objects.get(case=case)
    assert correction.chosen == "0102" and correction.suggested == text.predictions[0]["label"]


@pytest.mark.parametrize("damage", ["delete", "garble", "old_format"])
def test_a_broken_model_file_never_fails_the_intake(events_world, active, damage):
    path = Path(active.file_path)
    if damage == "delete":
        path.unlink()
    elif damage == "garble":
        path.write_bytes(b"garbage")
    else:
        header, _sep, rest = path.read_bytes().partition(b"\n")
        old = json.loads(header)
        old["format_version"] = 0
        path.write_bytes(json.dumps(old).encode() + b"\n" + rest)
    services.forget_loaded_models()
    case = unclassified(events_world, title="东湖路暴露垃圾", description="路边有一堆生活垃圾")
    assert case.event.suggested_categories[0].get("source", "rules") == "rules"


def test_a_failing_text_layer_never_fails_the_intake(events_world, active, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(services.TextModel.objects, "filter", boom)
    monkeypatch.setattr(services.urgency.rule_cache, "get", boom)
    monkeypatch.setattr(services.CaseText.objects, "create", boom)
    case = unclassified(events_world, title="东湖路暴露垃圾", description="有人扬言要杀人")
    assert case.pk and case.event.suggested_categories[0].get("source", "rules") == "rules"
    assert not UrgencyFlag.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("title", "description"),
    [("！！！", " \n\t\u3000 "), ("Garbage", "Rubbish piled up on the pavement"), ("垃圾", "堆积" * 50_000)],
)
def test_odd_text_still_reports(events_world, active, title, description):
    case = unclassified(events_world, title=title, description=description)
    assert CaseText.objects.filter(case=case).exists()


def test_an_empty_title_is_refused_naming_the_field(events_world, active):
    from civicgrid.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        unclassified(events_world, title="   ", description="")
    assert exc.value.field == "title"
    assert not CaseText.objects.exists()


def test_urgency_flags_with_reasons_scoped_to_the_case(events_world):
    case = unclassified(
        events_world, title="邻居纠纷", description="邻居扬言要砍人，我实在活不下去了，几百人在门口拉横幅静坐"
    )
    kinds = dict(UrgencyFlag.objects.filter(case=case).values_list("kind", "reason"))
    assert set(kinds) == {"violence", "self_harm", "gathering"}
    assert all(kinds.values())
    seen = client(events_world.user("township")).get(f"/api/v1/textintel/cases/{case.pk}/")
    assert seen.status_code == 200
    assert {f["kind"] for f in seen.json()["flags"]} == {"violence", "self_harm", "gathering"}
    assert any("砍人" in f["matched"] for f in seen.json()["flags"])
    for name in ("outsider", "nobody"):
        refused = client(events_world.user(name)).get(f"/api/v1/textintel/cases/{case.pk}/")
        assert refused.status_code in (403, 404)
    assert client(events_world.user("outsider")).get("/api/v1/textintel/cases/999999/").status_code == 404
    assert client(events_world.user("outsider")).get("/api/v1/textintel/flags/").json()["results"] == []
    flagged = client(events_world.user("city")).get("/api/v1/textintel/flags/").json()["results"]
    assert {f["case"] for f in flagged} == {case.pk}


def test_exclusions_and_plain_messages_are_not_flagged(events_world):
    case = unclassified(
        events_world, title="游乐场的跳楼机噪音大", description="小区广场有人聚集跳广场舞，楼盘打出跳楼价"
    )
    assert not UrgencyFlag.objects.filter(case=case).exists()


def test_the_same_reporter_again_and_again(events_world, settings):
    settings.CIVICGRID_REPEAT_REPORTER_COUNT = 2
    cases = [unclassified(events_world, reporter_phone="139 1234 5678") for _ in range(3)]
    assert [UrgencyFlag.objects.filter(case=c, kind="repeat").exists() for c in cases] == [False, False, True]
    other = unclassified(events_world, reporter_phone="13800000000")
    assert not UrgencyFlag.objects.filter(case=other, kind="repeat").exists()
    digest = CaseText.objects.get(case=cases[0]).reporter_digest
    assert digest and "5678" not in digest


def test_the_events_training_source(events_world):
    open_case = report(events_world).case
    closed = report(events_world, title="小广告", description="墙上小广告", category="0201").case
    closed.closed_at = closed.opened_at
    closed.save(update_fields=["closed_at"])
    examples = examples_from_source("events")
    assert [(e.title, e.label, e.weight) for e in examples] == [("小广告", "0201", 1.0)]
    assert open_case.pk != closed.pk


def test_the_case_page_context(events_world):
    case = unclassified(events_world, title="求助", description="有人持刀威胁")
    context = services.case_text_context(case)
    assert [f.kind for f in context["flags"]] == ["violence"]
    assert context["analysis"].routing == "rules"


def test_the_case_page_scores_the_handling_result(events_world):
    import datetime as dt

    case = unclassified(events_world, title="小区路灯不亮", description="幸福里小区3栋门口路灯坏了一个月")
    assert "reply" not in services.case_text_context(case, reply="  ")
    weak = services.case_text_context(
        case, reply="已收悉。", replied_at=case.opened_at + dt.timedelta(days=1)
    )
    assert weak["reply"]["weak"] is True
    assert "答复过于简短" in weak["reply"]["reasons"]
    good = services.case_text_context(
        case,
        reply=(
            "您好！经查，幸福里小区3栋门口路灯因线路老化损坏。我单位已于次日更换灯具和线路，路灯已恢复照明。"
            "根据《城市道路照明设施管理规定》，我们将加强巡查。如有疑问请联系电话0571-12345678。"
        ),
        replied_at=case.opened_at + dt.timedelta(days=2),
    )["reply"]
    assert good["weak"] is False and good["timeliness"] == 100
    assert good["overall"] > weak["reply"]["overall"]
