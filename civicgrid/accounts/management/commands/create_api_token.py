"""Create an API token for a machine client and print its secret (the only time it is shown)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.services import do_create_api_token
from civicgrid.core.errors import ServiceError
from civicgrid.core.request_context import bind_request_id


class Command(BaseCommand):
    help = "为用户创建 API 令牌，并打印令牌明文（只显示这一次）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="令牌名称，例如对接的系统")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认不过期）")

    def handle(self, *args, username, name, days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户“%(name)s”不存在。") % {"name": username})
        if days is not None and days <= 0:
            raise CommandError(_("有效天数必须大于 0。"))
        expires = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            with bind_request_id():
                token, raw = do_create_api_token(actor=None, user=user, name=name, expires_at=expires)
        except ServiceError as exc:
            raise CommandError(f"{exc.field or ''}: {exc.message}") from exc
        self.stderr.write(
            _("已创建令牌 %(prefix)s（编号 %(id)d）；明文只显示这一次：")
            % {"prefix": token.prefix, "id": token.pk}
        )
        self.stdout.write(raw)
