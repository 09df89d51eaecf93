"""Kinds of calendar day and states of a year's schedule."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    # A statutory holiday or a day off of a holiday span (weekends inside a span included).
    HOLIDAY = "holiday", _("休息日（节假日）")
    # A 调休 make-up workday: a Saturday or Sunday on which people work.
    WORKDAY = "workday", _("上班日（调休）")


class YearStatus(models.TextChoices):
    # The State Council's schedule for the year is entered: its days count as entered.
    PUBLISHED = "published", _("已公布")
    # Not (or no longer) published: the year is counted on weekends alone and every deadline
    # reaching into it is provisional.
    PROVISIONAL = "provisional", _("暂按周末计算")
