"""Training, activation and the model API: administrators only (tried as every other role), audit
rows for training and activation, a broken active model never raises, bad input named."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.textintel import services
from civicgrid.textintel.models import TextModel
from civicgrid.textintel.tests.conftest import grant_model_management
from civicgrid.textintel.tests.corpus import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def managed(world):
    return grant_model_management(world)


@pytest.fixture
def trained(managed):
    return services.do_train_model(corpus(), source="test", actor=managed.user("admin"), folds=3)


def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_training_records_a_versioned_audited_model(managed, trained):
    assert trained.version == 1 and not trained.is_active
    assert trained.training_summary["counts"] == {"0101": 30, "0201": 30, "0301": 30}
    assert trained.training_summary["source"] == "test"
    assert trained.metrics["macro_f1"] > 0.8 and "calibration" in trained.metrics
    assert trained.created_by == managed.user("admin")
    assert ObjectChange.objects.filter(object_type="textintel.textmodel", action="create").count() == 1
    second = services.do_train_model(corpus(), source="test", actor=None, folds=0)
    assert second.version == 2 and second.metrics == {}


def test_activation_is_audited_and_exclusive(managed, trained):
    other = services.do_train_model(corpus(), source="test", actor=None, folds=0)
    services.do_activate_model(trained, actor=managed.user("admin"))
    services.do_activate_model(other, actor=managed.user("admin"))
    assert list(TextModel.objects.filter(is_active=True)) == [other]
    rows = ObjectChange.objects.filter(object_type="textintel.textmodel", action="update")
    assert rows.count() == 3  # trained on, trained off, other on
    assert services.active_model().version == other.version


@pytest.mark.parametrize(
    "name",
    ["county_admin", "gridworker", "township", "county", "city", "leader", "auditor", "outsider", "nobody"],
)
def test_only_a_city_administrator_manages_models(managed, trained, name):
    user = managed.user(name)
    with pytest.raises(NotPermitted):
        services.do_activate_model(trained, actor=user)
    with pytest.raises(NotPermitted):
        services.do_train_model(corpus(), source="test", actor=user, folds=0)
    api = client(user)
    assert api.get("/api/v1/textintel/models/").status_code == 403
    assert api.post(f"/api/v1/textintel/models/{trained.pk}/activate/").status_code == 403
    assert api.post("/api/v1/textintel/models/deactivate/").status_code == 403
    assert (
        api.patch(f"/api/v1/textintel/models/{trained.pk}/", {"confidence_threshold": 0.1}).status_code == 403
    )
    assert not TextModel.objects.filter(is_active=True).exists()
    assert APIClient().get("/api/v1/textintel/models/").status_code in (401, 403)


def test_model_api_for_the_administrator(managed, trained):
    api = client(managed.user("admin"))
    listed = api.get("/api/v1/textintel/models/").json()
    assert listed["results"][0]["version"] == 1
    assert api.post(f"/api/v1/textintel/models/{trained.pk}/activate/").json()["is_active"] is True
    bad = api.patch(f"/api/v1/textintel/models/{trained.pk}/", {"confidence_threshold": "1.5"}, format="json")
    assert bad.status_code == 400 and bad.json()["error_code"] == "invalid_threshold"
    assert "confidence_threshold" in bad.json()
    ok = api.patch(f"/api/v1/textintel/models/{trained.pk}/", {"confidence_threshold": 0.8}, format="json")
    assert ok.json()["confidence_threshold"] == 0.8
    assert api.post("/api/v1/textintel/models/999/activate/").status_code == 404
    assert api.post("/api/v1/textintel/models/deactivate/").json() == {"deactivated": 1}


def test_a_model_whose_file_is_gone_cannot_be_activated_and_never_breaks_analysis(managed, trained):
    from pathlib import Path

    services.do_activate_model(trained, actor=None)
    Path(trained.file_path).unlink()
    services.forget_loaded_models()
    assert services.active_model() is None
    analysis = services.analyse_message("垃圾很多", "路边垃圾")
    assert analysis.predictions == []
    with pytest.raises(ServiceError) as exc:
        services.do_activate_model(trained, actor=None)
    assert exc.value.field == "model" and exc.value.code == "model_file"


def test_classify_api_and_bad_text(managed, trained):
    services.do_activate_model(trained, actor=None)
    api = client(managed.user("gridworker"))
    found = api.post(
        "/api/v1/textintel/classify/", {"title": "工地夜间施工", "body": "打桩噪音"}, format="json"
    )
    assert found.status_code == 200
    assert found.json()["predictions"][0]["label"] == "0301"
    for body, code in (
        ("", "empty_text"),
        ("   ", "empty_text"),
        ("Noise at night from the site", "not_chinese"),
    ):
        bad = api.post("/api/v1/textintel/classify/", {"title": "", "body": body}, format="json")
        assert bad.status_code == 400 and bad.json()["error_code"] == code and "body" in bad.json()
    odd = api.post("/api/v1/textintel/classify/", {"title": ["x"], "body": 3}, format="json")
    assert odd.status_code == 400
    huge = api.post("/api/v1/textintel/classify/", {"title": "噪音", "body": "施工" * 100_000}, format="json")
    assert huge.status_code == 200
    assert (
        client(managed.user("nobody")).post("/api/v1/textintel/classify/", {"body": "垃圾"}).status_code
        == 403
    )


def test_english_error_messages(managed, trained):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ServiceError) as exc:
        services.do_set_threshold(trained, "x", actor=None)
    assert exc.value.field == "confidence_threshold"
