"""manage.py import_divisions FILE — division codes from CSV (see areas/importers/divisions.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas.importers.divisions import ENCODINGS, import_divisions
from civicgrid.areas.importers.report import ImportAborted, print_report


class Command(BaseCommand):
    help = _(
        "从 CSV 导入统计用区划代码（列：code,name，可选 parent、urban_rural；支持 UTF-8 与 GBK/GB18030）"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 文件路径"))
        parser.add_argument(
            "--vintage", type=int, default=None, help=_("代码版本年份，例如 2022（默认当年）")
        )
        parser.add_argument(
            "--encoding", choices=ENCODINGS, default="auto", help=_("文件编码（默认自动识别）")
        )
        parser.add_argument("--skip-bad-rows", action="store_true", help=_("跳过错误行，导入其余行"))
        parser.add_argument("--dry-run", action="store_true", help=_("只校验，不写入"))
        parser.add_argument("--report", metavar="FILE.csv", help=_("把被拒绝的行写入 CSV 报告"))

    def handle(self, *args, **options):
        try:
            report = import_divisions(
                options["file"],
                vintage=options["vintage"],
                encoding=options["encoding"],
                skip_bad_rows=options["skip_bad_rows"],
                dry_run=options["dry_run"],
            )
        except ImportAborted as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:
            raise CommandError(_("无法读取文件：%(error)s") % {"error": exc}) from None
        print_report(self, report, options)
