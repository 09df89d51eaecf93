"""manage.py evaluate_classifier [--source events | --csv FILE --text-col C --label-col C] [--folds 5]
[--model VERSION]

Without --model: stratified k-fold cross-validation of the classifier on the examples (nothing is
written). With --model: the stored model's accuracy on the examples as they are (a hold-out set:
use examples it was not trained on). Prints the metrics as JSON, calibration included."""

import json

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError
from civicgrid.textintel import classifier, training
from civicgrid.textintel.models import TextModel


class Command(BaseCommand):
    help = _("评估文本分类：交叉验证，或用指定版本的模型在给定数据上评估")

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None)
        parser.add_argument("--csv", default=None)
        parser.add_argument("--text-col", default=None)
        parser.add_argument("--title-col", default=None)
        parser.add_argument("--label-col", default=None)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--c", type=float, default=1.0)
        parser.add_argument("--model", type=int, default=None, help=_("已登记的模型版本"))

    def handle(self, *args, **o):
        try:
            _source, examples, terms = training.examples_for(
                csv_path=o["csv"],
                text_col=o["text_col"],
                label_col=o["label_col"],
                title_col=o["title_col"],
                source=o["source"],
            )
            if o["model"] is None:
                metrics = training.cross_validate(examples, folds=o["folds"], c=o["c"], terms=terms)
            else:
                metrics = self._hold_out(o["model"], examples)
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(json.dumps(metrics, ensure_ascii=False))

    def _hold_out(self, version, examples):
        from sklearn.metrics import accuracy_score, f1_score

        row = TextModel.objects.filter(version=version).first()
        if row is None:
            raise CommandError(_("模型 v%(version)s 不存在") % {"version": version})
        try:
            model = classifier.load(row.file_path, row.checksum)
        except classifier.ModelFileError as exc:
            raise CommandError(exc.message) from exc
        probs = model.probabilities([e.title for e in examples], [e.body for e in examples])
        labels = np.array(model.labels, dtype=object)
        predicted = labels[probs.argmax(axis=1)].astype(str)
        truth = np.array([e.label for e in examples])
        return {
            "model": version,
            "examples": len(examples),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
            "accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "calibration": training.calibration(probs.max(axis=1), predicted == truth),
        }
