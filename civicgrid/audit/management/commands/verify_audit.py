"""`manage.py verify_audit`: check both audit hash chains; exit status 1 if any row was tampered with."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.audit.verification import verify_all


class Command(BaseCommand):
    help = "Verify the audit hash chains (ObjectChange and AccessLog) and report tampered rows."

    def handle(self, *args, **options):
        failed = False
        for chain, (count, problems) in verify_all().items():
            if problems:
                failed = True
                self.stdout.write(
                    self.style.ERROR(
                        _("%(chain)s：%(count)d 行，发现 %(n)d 处问题")
                        % {"chain": chain, "count": count, "n": len(problems)}
                    )
                )
                for p in problems:
                    self.stdout.write(f"  [{p.kind}] row={p.row_id} {p.detail}")
            else:
                self.stdout.write(
                    self.style.SUCCESS(_("%(chain)s：%(count)d 行，完整") % {"chain": chain, "count": count})
                )
        if failed:
            raise CommandError(_("审计链校验失败"))
