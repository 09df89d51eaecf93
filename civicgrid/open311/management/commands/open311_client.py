"""Open311 clients and their API keys (operators only; every change is audited).

  manage.py open311_client create --name 东湖区随手拍 --area 338001000000 [--contact …] [--rate 60]
  manage.py open311_client list
  manage.py open311_client rotate --name 东湖区随手拍
  manage.py open311_client revoke --name 东湖区随手拍

create and rotate print the key once: only its digest is stored.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area
from civicgrid.core.errors import ServiceError
from civicgrid.open311.models import Client
from civicgrid.open311.services import do_create_client, do_revoke_client, do_rotate_key


class Command(BaseCommand):
    help = "Create, list, rotate and revoke Open311 clients (api_key holders)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "rotate", "revoke"])
        parser.add_argument("--name", default="")
        parser.add_argument("--area", default="", help="area code the key is bound to")
        parser.add_argument("--contact", default="")
        parser.add_argument("--rate", type=int, default=None, help="calls per minute")

    def handle(self, *args, action, name, area, contact, rate, **options):
        try:
            if action == "list":
                self._list()
            elif action == "create":
                self._create(name, area, contact, rate)
            else:
                client = Client.objects.filter(name=name.strip()).first()
                if client is None:
                    raise CommandError(_("客户端“%(name)s”不存在") % {"name": name})
                if action == "rotate":
                    raw = do_rotate_key(client, actor=None)
                    self.stdout.write(
                        _("已为“%(name)s”更换密钥，旧密钥立即失效。新的 api_key（只显示这一次）：")
                        % {"name": client.name}
                    )
                    self.stdout.write(raw)
                else:
                    do_revoke_client(client, actor=None)
                    self.stdout.write(_("已吊销客户端“%(name)s”。") % {"name": client.name})
        except ServiceError as error:
            field = f"{error.field}: " if error.field else ""
            raise CommandError(f"{field}{error.message}") from None

    def _create(self, name, area_code, contact, rate):
        area = Area.objects.filter(code=area_code.strip(), is_active=True).first()
        if area is None:
            raise CommandError(_("--area：区划代码“%(code)s”不存在") % {"code": area_code})
        client, raw = do_create_client(
            actor=None, name=name, area=area, contact=contact, requests_per_minute=rate
        )
        self.stdout.write(
            _("已创建 Open311 客户端“%(name)s”，授权区域：%(area)s，每分钟最多 %(rate)s 次调用。")
            % {"name": client.name, "area": area.name, "rate": client.requests_per_minute}
        )
        self.stdout.write(_("api_key（只显示这一次，请妥善交给对接方）："))
        self.stdout.write(raw)

    def _list(self):
        for client in Client.objects.select_related("area", "token").order_by("name"):
            state = _("已吊销") if client.revoked_at else _("有效")
            prefix = client.token.prefix if client.token else "-"
            self.stdout.write(
                f"{client.name}\t{client.area.code} {client.area.name}\t{client.requests_per_minute}/min\t"
                f"cg_{prefix}…\t{state}"
            )
