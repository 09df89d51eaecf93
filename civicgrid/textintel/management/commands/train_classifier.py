"""manage.py train_classifier [--source events | --csv FILE --text-col C --label-col C [--title-col C]]
[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--c 1.0] [--folds 5] [--activate]

Trains a classifier, evaluates it by stratified cross-validation, writes a new versioned model file
and its TextModel row (audited, actor = the operator's command). The new model is not used until it
is activated (`--activate`, `activate_classifier`, the admin or the API)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id
from civicgrid.textintel import services, training


class Command(BaseCommand):
    help = _("训练文本分类模型（来自已办结事件或 CSV 文件），交叉验证后登记为新版本")

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", default=None, help=_("已登记的训练数据来源（默认 events：已办结事件）")
        )
        parser.add_argument("--csv", default=None, help=_("CSV 文件（UTF-8，带表头）"))
        parser.add_argument("--text-col", default=None, help=_("CSV 中的正文列"))
        parser.add_argument("--title-col", default=None, help=_("CSV 中的标题列（可选）"))
        parser.add_argument("--label-col", default=None, help=_("CSV 中的分类列"))
        parser.add_argument("--since", default=None, help=_("只用此日期之后办结的事件（YYYY-MM-DD）"))
        parser.add_argument("--until", default=None, help=_("只用此日期之前办结的事件（YYYY-MM-DD）"))
        parser.add_argument("--c", type=float, default=1.0, help=_("线性 SVM 的正则参数 C"))
        parser.add_argument("--folds", type=int, default=5, help=_("交叉验证折数（0 = 不评估）"))
        parser.add_argument("--activate", action="store_true", help=_("训练后立即启用"))
        parser.add_argument(
            "--profile",
            choices=("accurate", "fast"),
            default="accurate",
            help=_("accurate：六组特征（默认）；fast：不对正文分词，预测更快"),
        )

    def handle(self, *args, **o):
        try:
            since, until = (self._date(o[k], k) for k in ("since", "until"))
            source, examples, terms = training.examples_for(
                csv_path=o["csv"],
                text_col=o["text_col"],
                label_col=o["label_col"],
                title_col=o["title_col"],
                source=o["source"],
                since=since,
                until=until,
            )
            if o["c"] <= 0:
                raise CommandError(_("--c 必须大于 0"))
            with bind_request_id():
                model = services.do_train_model(
                    examples,
                    source=source,
                    actor=None,
                    c=o["c"],
                    folds=o["folds"],
                    terms=terms,
                    profile=o["profile"],
                )
                if o["activate"]:
                    model = services.do_activate_model(model, actor=None)
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        metrics = model.metrics or {}
        self.stdout.write(
            _("已登记模型 v%(version)s（%(n)s 条，%(labels)s 个分类）%(active)s")
            % {
                "version": model.version,
                "n": model.training_summary.get("examples"),
                "labels": len(model.training_summary.get("counts", {})),
                "active": _("，已启用") if model.is_active else _("，尚未启用"),
            }
        )
        if metrics:
            self.stdout.write(
                json.dumps({k: metrics[k] for k in ("macro_f1", "accuracy", "brier") if k in metrics})
            )

    def _date(self, value, name):
        if not value:
            return None
        parsed = parse_date(value)
        if parsed is None:
            raise CommandError(_("--%(name)s 应为日期（YYYY-MM-DD）") % {"name": name})
        return parsed
