"""The admin: urgency rules are edited as data (audited, the intake's cache refreshed); text models
are read-only rows whose activation goes through the service (audited), never the admin's save."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts.models import User
from civicgrid.audit.models import ObjectChange
from civicgrid.textintel import services, urgency
from civicgrid.textintel.models import TextModel, UrgencyRule
from civicgrid.textintel.tests.corpus import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(world):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="Root-Pass-2026!"))
    return client


def test_the_default_rules_are_installed():
    kinds = set(UrgencyRule.objects.values_list("kind", flat=True))
    assert kinds == {"violence", "self_harm", "gathering"}


def test_editing_a_rule_is_audited_and_takes_effect(root_client):
    rule = UrgencyRule.objects.get(kind="gathering")
    assert not urgency.match(urgency.rule_cache.get(), "", "业主们在售楼部门口打地铺")
    page = root_client.post(
        f"/admin/textintel/urgencyrule/{rule.pk}/change/",
        {
            "kind": "gathering",
            "name": rule.name,
            "words": '["打地铺"]',
            "exclude": "[]",
            "reason": "多人聚集",
            "is_active": "on",
        },
    )
    assert page.status_code == 302, page.content[:2000]
    assert ObjectChange.objects.filter(object_type="textintel.urgencyrule", action="update").count() == 1
    hits = urgency.match(urgency.rule_cache.get(), "", "业主们在售楼部门口打地铺")
    assert [(h.kind, h.reason) for h in hits] == [("gathering", "多人聚集")]


def test_models_are_read_only_in_the_admin_and_activated_through_the_service(root_client):
    model = services.do_train_model(corpus(), source="test", actor=None, folds=0)
    assert root_client.get("/admin/textintel/textmodel/").status_code == 200
    assert root_client.get("/admin/textintel/textmodel/add/").status_code == 403
    page = root_client.post(
        "/admin/textintel/textmodel/", {"action": "activate", "_selected_action": [model.pk]}
    )
    assert page.status_code == 302
    model.refresh_from_db()
    assert model.is_active
    row = ObjectChange.objects.filter(object_type="textintel.textmodel", action="update").get()
    assert row.actor_username == "root"
    assert not TextModel.objects.filter(is_active=False).exists()
