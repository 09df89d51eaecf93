"""`manage.py load_demo`: the demo city 临江市 and one login per built-in role (`make demo`).

Idempotent: when the demo city is already there it only prints the logins again (one query), so a
second `make demo` starts in seconds. Everything else is written in one transaction: a failure
leaves the database as it was. No superuser is created; the `admin` login holds the administrator
role over the whole city instead (三员分立: it cannot read audit logs or unmasked personal data).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.areas.codes import grid_serial_width
from civicgrid.areas.demo import DEFAULT_GRIDS, DEFAULT_SEED, DEMO_CITY_CODE, generate_city, load_city
from civicgrid.areas.models import Area
from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import ServiceError
from civicgrid.web.management import demo_accounts, demo_events

# A published demo password, not a secret: it passes the validators; change it after first login.
DEMO_PASSWORD = "Linjiang-Demo-2026"  # noqa: S105


class Command(BaseCommand):
    help = _("加载演示城市“临江市”及每个内置角色的演示账号；已加载时只重新打印登录信息。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=_("随机种子（同一种子生成同一城市）")
        )
        parser.add_argument("--grids", type=int, default=DEFAULT_GRIDS, help=_("网格总数（含专属网格）"))
        parser.add_argument("--password", default=DEMO_PASSWORD, help=_("全部演示账号的初始密码"))
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help=_("打印的登录地址"))

    def handle(self, *args, seed, grids, password, **options):
        self.url = options.get("url") or "http://127.0.0.1:8000/"
        existing = Area.objects.filter(code=DEMO_CITY_CODE).values_list("pk", "name").first()
        if existing is not None:
            # The demo city is recognised by the audit row its bulk load wrote, not by its code alone:
            # a real or test city may use the same fictional code.
            loaded_by_demo = ObjectChange.objects.filter(
                object_type="areas.area", object_id=str(existing[0]), after__demo_city=True
            ).exists()
            if not loaded_by_demo:
                raise CommandError(
                    _("区划 %(code)s 已存在，但不是由演示数据加载的；未做任何修改。")
                    % {"code": DEMO_CITY_CODE}
                )
            self.stdout.write(_("演示城市“%(name)s”已存在，未做任何修改。") % {"name": existing[1]})
            self._load_work()  # a demo city loaded before events existed gets them once
            self._print_logins(password)
            return
        if Area.objects.exclude(level="province").exists():
            raise CommandError(_("数据库中已有其他区划数据；演示城市只加载到空库中，以免混入正式数据。"))

        started = time.perf_counter()
        try:
            city = generate_city(seed=seed, grids=grids, serial_width=grid_serial_width())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            demo_accounts.check_password(city, password)
            with transaction.atomic():
                summary = load_city(city, actor=None)
                units = demo_accounts.create_units(city)
                demo_accounts.create_people(city, password, units)
                demo_accounts.create_grid_workers(city)
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self._load_work()
        self._load_disputes_and_petitions()

        counts = city.counts()
        self.stdout.write(
            _(
                "已加载演示城市“%(name)s”：%(counties)d 个县（区）、%(townships)d 个乡镇（街道）、"
                "%(villages)d 个村（社区）、%(grids)d 个网格（其中专属网格 %(dedicated)d 个）、"
                "%(units)d 个单位，用时 %(seconds).1f 秒。"
            )
            % {
                "name": city.areas[0].name,
                "counties": summary["areas"]["county"],
                "townships": summary["areas"]["township"],
                "villages": summary["areas"]["village"],
                "grids": counts["grids"],
                "dedicated": counts["dedicated_grids"],
                "units": counts["units"],
                "seconds": time.perf_counter() - started,
            }
        )
        self._print_logins(password)

    def _load_work(self) -> None:
        """The taxonomy, the dispatch catalogue and demo events (once: skipped when events exist)."""
        from civicgrid.cases.models import Case

        if Case.objects.filter(kind="event").exists():
            return
        try:
            rules = demo_events.load_catalogue()
            demo_events.load_scheme()
            events = demo_events.create_events()
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _("已加载事件分类与派单目录（%(rules)d 条规则）和 %(events)d 件演示事件。")
            % {"rules": rules, "events": events}
        )
        self._demo_open311_client()

    def _load_disputes_and_petitions(self) -> None:
        """Demo disputes and petitions in every stage (each skipped when its kind has cases)."""
        from civicgrid.disputes.demo import create_demo_disputes
        from civicgrid.petitions.demo import create_petitions

        try:
            disputes = create_demo_disputes()
            petitions = create_petitions()
        except ServiceError as exc:
            raise CommandError(str(exc.message)) from exc
        if disputes or petitions:
            self.stdout.write(
                _("已加载 %(disputes)d 件演示矛盾纠纷和 %(petitions)d 件演示信访事项。")
                % {"disputes": disputes, "petitions": petitions}
            )

    def _demo_open311_client(self) -> None:
        """One Open311 client over the whole demo city, so integrators can try the interface
        (docs/open311.md); its key is printed this once."""
        from civicgrid.open311.models import Client
        from civicgrid.open311.services import do_create_client

        if Client.objects.exists():
            return
        city = Area.objects.get(code=DEMO_CITY_CODE)
        _client, key = do_create_client(actor=None, name=str(_("演示随手拍")), area=city)
        self.stdout.write(
            _("演示 Open311 客户端“演示随手拍”（全市范围）的 api_key（只显示这一次）：%(key)s") % {"key": key}
        )

    def _print_logins(self, password: str) -> None:
        logins = demo_accounts.demo_logins()
        self.stdout.write(_("演示账号（每个内置角色一个；初始密码相同，如已修改以修改后的为准）："))
        self.stdout.write(demo_accounts.login_table(logins, password))
        self.stdout.write(_("登录地址：%(url)s") % {"url": self.url})
