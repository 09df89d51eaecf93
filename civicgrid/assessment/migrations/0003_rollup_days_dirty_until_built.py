"""Until the first build, every day with a case is dirty: the readers count it live, so an
upgraded installation's figures are right before `manage.py rebuild_figure_rollups` (or the
worker, a month of days per transaction) has filled the rollups. Nothing is marked when the
rollups already hold rows or there are no cases."""

import uuid

from django.db import migrations
from django.db.models.functions import TruncDate
from django.utils import timezone


def mark_every_day(apps, schema_editor):
    FigureRollup = apps.get_model("assessment", "FigureRollup")
    DensityRollup = apps.get_model("assessment", "DensityRollup")
    RollupDirtyDay = apps.get_model("assessment", "RollupDirtyDay")
    Case = apps.get_model("cases", "Case")
    if FigureRollup.objects.exists() or DensityRollup.objects.exists():  # built already
        return
    days = (
        Case.objects.annotate(day=TruncDate("opened_at")).order_by().values_list("day", flat=True).distinct()
    )
    now = timezone.now()
    rows = [RollupDirtyDay(day=day, token=uuid.uuid4().hex, marked_at=now) for day in days if day is not None]
    RollupDirtyDay.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_figure_rollups"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(mark_every_day, migrations.RunPython.noop)]
