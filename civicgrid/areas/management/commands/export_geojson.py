"""manage.py export_geojson --kind area|grid [--under CODE] [--out FILE] (see areas/exporters.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas import exporters
from civicgrid.areas.models import Area


class Command(BaseCommand):
    help = _("把区划或网格导出为 GeoJSON（WGS-84）")

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["area", "grid"], required=True, help=_("导出区划或网格"))
        parser.add_argument("--under", metavar="CODE", help=_("只导出该区划及其下级（代码）"))
        parser.add_argument("--out", metavar="FILE", help=_("输出文件（默认标准输出）"))
        parser.add_argument("--include-inactive", action="store_true", help=_("包括已撤销/停用的"))

    def handle(self, *args, **options):
        under = options["under"]
        if under and not Area.objects.filter(code=exporters.normalise(under)).exists():
            raise CommandError(_("区划 %(code)s 不存在") % {"code": under})
        active_only = not options["include_inactive"]
        if options["kind"] == "area":
            features = exporters.iter_area_features(exporters.areas_queryset(under, active_only))
        else:
            features = exporters.iter_grid_features(exporters.grids_queryset(under, active_only))
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8") as fh:
                count = exporters.write_feature_collection(features, fh)
            self.stderr.write(_("已导出 %(n)d 个要素到 %(path)s") % {"n": count, "path": options["out"]})
        else:
            self.stdout.ending = ""  # the writer supplies its own line ends
            exporters.write_feature_collection(features, self.stdout)
