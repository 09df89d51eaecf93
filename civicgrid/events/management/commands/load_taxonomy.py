"""manage.py load_taxonomy [FILE]: make the event categories match a taxonomy file (default: the
shipped civicgrid/events/data/taxonomy_zh.json).

Idempotent: a second run reports every category unchanged and writes nothing. Categories missing from
the file are deleted when nothing refers to them and deactivated when something does
(`--keep-missing` leaves them alone). All or nothing: a file with errors lists each problem with its
location and changes nothing."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id
from civicgrid.events.taxonomy_file import DEFAULT_FILE, read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy


def _codes(codes) -> str:
    return "、".join(codes) if codes else _("无")


class Command(BaseCommand):
    help = _("载入事件分类文件（JSON）；重复载入不产生变化，被引用的分类只停用不删除")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help=_("分类文件路径"))
        parser.add_argument(
            "--keep-missing", action="store_true", help=_("保留文件中没有的分类（不删除也不停用）")
        )

    def handle(self, *args, file, keep_missing, **options):
        try:
            data = read_taxonomy_file(file)
            with bind_request_id():
                report = do_load_taxonomy(data, actor=None, source=file, prune=not keep_missing)
        except ServiceError as exc:
            for location, message in exc.params.get("errors", [(exc.field, exc.message)]):
                self.stderr.write(f"{location}: {message}")
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _(
                "新增 %(created)d，修改 %(updated)d，未变 %(unchanged)d，停用 %(deactivated)d，删除 %(deleted)d"
            )
            % {
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "deactivated": len(report.deactivated),
                "deleted": len(report.deleted),
            }
        )
        for code, fields in sorted(report.updated.items()):
            self.stdout.write(_("修改 %(code)s：%(fields)s") % {"code": code, "fields": "、".join(fields)})
        if report.deactivated:
            self.stdout.write(_("停用（仍被引用）：%(codes)s") % {"codes": _codes(report.deactivated)})
        if report.deleted:
            self.stdout.write(_("删除：%(codes)s") % {"codes": _codes(report.deleted)})
