"""The working-day calendar: the State Council's yearly holiday schedule (放假安排) as data.

`CalendarDay` holds the exceptions to "Monday–Friday work": statutory holidays (and the other days
off of a holiday span) and 调休 make-up workdays on weekends. `CalendarYear` says which years'
schedules are entered: a year without a published row is counted on weekends alone and every
deadline reaching into it is provisional. `CalendarVersion` is bumped whenever a schedule is entered,
so each process can tell that its cached calendar is stale (see `store.py`).

Written only by `services.py`; read through `store.get_calendar()`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import DayKind, YearStatus


class CalendarDay(models.Model):
    """One day that differs from the weekday rule: a day off (holiday) or a make-up workday."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, help_text=_("如：春节、国庆节"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """Whether a year's holiday schedule is entered (published) and where it came from."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=YearStatus.choices, default=YearStatus.PROVISIONAL
    )
    source = models.CharField(_("来源"), max_length=200, blank=True, help_text=_("如：国务院办公厅通知文号"))
    entered_at = models.DateTimeField(_("录入时间"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("年度放假安排")
        verbose_name_plural = _("年度放假安排")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}（{self.get_status_display()}）"


class CalendarVersion(models.Model):
    """A counter bumped on every schedule change, so every process drops its cached calendar
    (cross-process invalidation without a broker, as areas.SpatialIndexVersion does)."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("日历版本")
        verbose_name_plural = _("日历版本")

    def __str__(self):
        return f"{self.name} v{self.version}"
