"""Raise the risk grade of open disputes whose time limit has passed (run periodically)."""

from django.core.management.base import BaseCommand

from civicgrid.disputes.steps import sweep_overdue_disputes


class Command(BaseCommand):
    help = "重新评定已超期未化解纠纷的风险等级"

    def handle(self, *args, **options):
        raised = sweep_overdue_disputes()
        self.stdout.write(f"{raised}")
