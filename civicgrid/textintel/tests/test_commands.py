"""train_classifier / evaluate_classifier / activate_classifier from the command line: a CSV without
the label column is a clear error naming it; a CSV trains a versioned model; activation audited."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.audit.models import ObjectChange
from civicgrid.textintel.models import TextModel
from civicgrid.textintel.tests.corpus import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "messages.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["标题", "正文", "类别"])
        for e in corpus(10):
            writer.writerow([e.title, e.body, e.label])
    return path


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_csv_without_the_label_column(csv_file):
    with pytest.raises(CommandError) as exc:
        run("train_classifier", "--csv", str(csv_file), "--text-col", "正文", "--label-col", "一级标签")
    assert "label_col" in str(exc.value) and "一级标签" in str(exc.value)
    with pytest.raises(CommandError):
        run("train_classifier", "--csv", str(csv_file), "--text-col", "正文")
    assert not TextModel.objects.exists()


def test_train_evaluate_and_activate_from_a_csv(csv_file):
    args = ["--csv", str(csv_file), "--title-col", "标题", "--text-col", "正文", "--label-col", "类别"]
    output = run("train_classifier", *args, "--folds", "3", "--profile", "fast")
    assert "v1" in output
    model = TextModel.objects.get()
    assert model.training_summary["profile"] == "fast" and model.metrics["folds"] == 3
    metrics = json.loads(run("evaluate_classifier", *args, "--model", "1"))
    assert metrics["macro_f1"] > 0.8
    assert "v1" in run("activate_classifier", "1", "--threshold", "0.7")
    model.refresh_from_db()
    assert model.is_active and model.confidence_threshold == 0.7
    assert ObjectChange.objects.filter(object_type="textintel.textmodel").count() >= 3
    with pytest.raises(CommandError):
        run("activate_classifier", "1", "--threshold", "2")
    with pytest.raises(CommandError):
        run("activate_classifier", "9")
    run("activate_classifier", "--none")
    assert not TextModel.objects.filter(is_active=True).exists()


def test_an_unknown_source_names_the_choices():
    with pytest.raises(CommandError) as exc:
        run("train_classifier", "--source", "nope")
    assert "events" in str(exc.value)
