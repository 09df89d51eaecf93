"""manage.py import_geojson FILE --kind area|grid — boundaries and grids from GeoJSON
(see areas/importers/geojson.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas.choices import Crs
from civicgrid.areas.importers.geojson import PropertyMap, import_area_boundaries, import_grids
from civicgrid.areas.importers.report import ImportAborted, print_report


def _names(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else default


class Command(BaseCommand):
    help = _("从 GeoJSON 导入区划边界（--kind area）或网格（--kind grid）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("GeoJSON 文件（FeatureCollection）"))
        parser.add_argument("--kind", choices=["area", "grid"], required=True, help=_("导入区划边界或网格"))
        parser.add_argument(
            "--crs", choices=Crs.values, default=Crs.WGS84, help=_("文件的坐标系（默认 wgs84）")
        )
        defaults = PropertyMap()
        parser.add_argument(
            "--code-prop", help=_("代码所在的属性（默认 %(d)s）") % {"d": ",".join(defaults.code)}
        )
        parser.add_argument("--name-prop", help=_("名称所在的属性（默认 name）"))
        parser.add_argument(
            "--village-prop",
            help=_("所属村/社区代码所在的属性（默认 village,village_code；缺省取网格编码前 12 位）"),
        )
        parser.add_argument("--kind-prop", help=_("网格类型所在的属性（默认 kind；缺省为基础网格）"))
        parser.add_argument(
            "--parent-prop", help=_("专属网格所在基础网格编码的属性（默认 parent_grid；缺省按位置查找）")
        )
        parser.add_argument("--skip-bad-rows", action="store_true", help=_("跳过错误要素，导入其余要素"))
        parser.add_argument(
            "--repair",
            action="store_true",
            help=_("用 make_valid 修复自相交等无效多边形（适用于简化过的公开边界）"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("只校验，不写入"))
        parser.add_argument("--report", metavar="FILE.csv", help=_("把被拒绝的要素写入 CSV 报告"))

    def handle(self, *args, **options):
        d = PropertyMap()
        props = PropertyMap(
            code=_names(options["code_prop"], d.code),
            name=_names(options["name_prop"], d.name),
            village=_names(options["village_prop"], d.village),
            kind=_names(options["kind_prop"], d.kind),
            parent=_names(options["parent_prop"], d.parent),
        )
        run = import_area_boundaries if options["kind"] == "area" else import_grids
        try:
            report = run(
                options["file"],
                crs=options["crs"],
                props=props,
                skip_bad_rows=options["skip_bad_rows"],
                dry_run=options["dry_run"],
                repair=options["repair"],
            )
        except ImportAborted as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(_("无法读取文件：%(error)s") % {"error": exc}) from None
        print_report(self, report, options)
