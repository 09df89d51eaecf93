"""Revoke an API token by its prefix (the 8 characters after "cg_")."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.accounts.models import ApiToken
from civicgrid.accounts.services import do_revoke_api_token
from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id


class Command(BaseCommand):
    help = "按前缀吊销 API 令牌"

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        tokens = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if not tokens:
            raise CommandError(_("没有前缀为“%(prefix)s”的有效令牌。") % {"prefix": prefix})
        if len(tokens) > 1:
            raise CommandError(_("前缀“%(prefix)s”对应多个令牌，请在管理后台核对。") % {"prefix": prefix})
        try:
            with bind_request_id():
                do_revoke_api_token(tokens[0], actor=None)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(_("已吊销令牌 %(prefix)s。") % {"prefix": prefix})
