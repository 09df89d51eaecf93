"""manage.py seed_calendar: enter the holiday schedules the chinese-calendar package knows.

Idempotent: years already published (seeded before or entered by an administrator) are skipped."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from civicgrid.calendars.services import do_seed_from_chinese_calendar
from civicgrid.core.request_context import bind_request_id


def _years(years) -> str:
    if not years:
        return _("无")
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


class Command(BaseCommand):
    help = _("从 chinese-calendar 软件包导入历年放假安排（已公布的年份跳过）")

    def handle(self, *args, **options):
        with bind_request_id():
            report = do_seed_from_chinese_calendar(actor=None)
        self.stdout.write(
            _("已导入 %(n)d 个年份（%(seeded)s），跳过已公布的 %(m)d 个年份（%(skipped)s）")
            % {
                "n": len(report.seeded),
                "seeded": _years(report.seeded),
                "m": len(report.skipped),
                "skipped": _years(report.skipped),
            }
        )
