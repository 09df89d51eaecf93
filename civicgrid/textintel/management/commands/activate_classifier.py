"""manage.py activate_classifier VERSION | --none [--threshold 0.6]

Choose the active text model (audited; the file must load), or none (`--none`: intake falls back to
the keyword rules). `--threshold` sets the model's confidence threshold for preselection."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id
from civicgrid.textintel import services
from civicgrid.textintel.models import TextModel


class Command(BaseCommand):
    help = _("选择启用的文本分类模型")

    def add_arguments(self, parser):
        parser.add_argument("version", nargs="?", type=int, help=_("模型版本"))
        parser.add_argument("--none", action="store_true", help=_("停用全部模型，改用关键词规则"))
        parser.add_argument("--threshold", default=None, help=_("自动预选的置信度阈值（0–1）"))

    def handle(self, *args, version, none, threshold, **options):
        with bind_request_id():
            try:
                if none:
                    count = services.do_deactivate_models(actor=None)
                    self.stdout.write(_("已停用 %(n)s 个模型，事件分类建议改用关键词规则") % {"n": count})
                    return
                if version is None:
                    raise CommandError(_("请给出模型版本，或用 --none 停用"))
                model = TextModel.objects.filter(version=version).first()
                if model is None:
                    raise CommandError(_("模型 v%(version)s 不存在") % {"version": version})
                if threshold is not None:
                    model = services.do_set_threshold(model, threshold, actor=None)
                model = services.do_activate_model(model, actor=None)
            except ServiceError as exc:
                raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(_("已启用模型 v%(version)s") % {"version": model.version})
