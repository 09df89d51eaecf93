"""Units and demo logins of the demo city, created through the accounts services.

`areas.demo` cannot create units or users (areas sits below accounts in the import layers), so the
`load_demo` command hands the generated specs to this module, which goes through
`accounts.services` — the same checks (password validators, Argon2, no duplicate codes) and the same
audit rows as any other entry point, with `actor=None` (the operator running the command).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.accounts import services as accounts
from civicgrid.accounts.models import Role, RoleAssignment, User
from civicgrid.accounts.roles import SYSTEM_ROLES, sync_system_roles
from civicgrid.areas.demo import DEMO_LOGINS, DemoCity
from civicgrid.areas.models import Area, Grid
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_bulk_change, record_change, snapshot
from civicgrid.core.errors import ServiceError


def check_password(city: DemoCity, password: str) -> None:
    """Refuse (before anything is written) a demo password the validators would refuse for any
    demo user: ServiceError naming the field, in Chinese."""
    for person in city.people:
        probe = User(username=person.username, display_name=person.display_name, phone=person.phone)
        try:
            password_validation.validate_password(password, user=probe)
        except ValidationError as exc:
            raise ServiceError(
                "password_invalid",
                _("演示密码不可用（用户 %(user)s）：%(reasons)s")
                % {"user": person.username, "reasons": " ".join(exc.messages)},
                field="password",
            ) from exc


def create_units(city: DemoCity) -> dict:
    """Every unit of the demo city (command centres, county departments, township offices)."""
    areas = dict(Area.objects.filter(code__in={u.area_code for u in city.units}).values_list("code", "pk"))
    by_pk = Area.objects.in_bulk(areas.values())
    return {
        spec.code: accounts.do_create_unit(
            actor=None, code=spec.code, name=spec.name, area=by_pk[areas[spec.area_code]], kind=spec.kind
        )
        for spec in city.units
    }


def create_people(city: DemoCity, password: str, units: dict) -> list[User]:
    """One user per built-in role with its grant; the grid worker is also put on its grid's
    notice (`Grid.workers`), with an audit row for that change."""
    if Role.objects.filter(code__in=SYSTEM_ROLES, is_system=True).count() < len(SYSTEM_ROLES):
        sync_system_roles()
    roles = {role.code: role for role in Role.objects.filter(code__in=SYSTEM_ROLES)}
    users = []
    for person in city.people:
        area = Area.objects.get(code=person.area_code)
        user = accounts.do_create_user(
            actor=None,
            username=person.username,
            password=password,
            display_name=person.display_name,
            phone=person.phone,
            unit=units[person.unit_code],
            area=area,
        )
        if person.grid_code:
            grid = Grid.objects.get(code=person.grid_code)
            accounts.do_grant_role(actor=None, user=user, role=roles[person.role], grid=grid)
            before = snapshot(grid, ["workers"])
            grid.workers.add(user)
            record_change(
                actor=None,
                action=ChangeAction.UPDATE,
                instance=grid,
                before=before,
                after=snapshot(grid, ["workers"]),
            )
        else:
            accounts.do_grant_role(actor=None, user=user, role=roles[person.role], area=area)
        users.append(user)
    return users


def create_grid_workers(city: DemoCity) -> int:
    """A staff record for the worker each grid's notice names (no login: an unusable password),
    granted the grid-worker role on that grid, so every notice lists a real worker. Written in bulk
    with one summary audit row; the demo's own `gridworker` login keeps its grid."""
    role = Role.objects.get(code="grid_worker")
    grids = {
        g.code: g
        for g in Grid.objects.select_related("village").filter(
            code__in=[spec.code for spec in city.grids], workers=None
        )
    }
    villages = {a.code: a for a in Area.objects.filter(code__in={spec.village_code for spec in city.grids})}
    new_users = []
    for spec in city.grids:
        if spec.code not in grids:
            continue
        user = User(
            username=f"gw{spec.code}",
            display_name=spec.worker_name,
            phone=spec.worker_phone,
            area=villages[spec.village_code],
        )
        user.set_unusable_password()
        new_users.append(user)
    created = User.objects.bulk_create(new_users, batch_size=500)
    by_username = {u.username: u for u in User.objects.filter(username__in=[u.username for u in created])}
    through = Grid.workers.through
    links, grants = [], []
    for code, grid in grids.items():
        user = by_username[f"gw{code}"]
        links.append(through(grid_id=grid.pk, user_id=user.pk))
        grants.append(
            RoleAssignment(user=user, role=role, area=grid.village, grid=grid, scope_path=grid.path)
        )
    through.objects.bulk_create(links, batch_size=500)
    RoleAssignment.objects.bulk_create(grants, batch_size=500)
    record_bulk_change(
        actor=None,
        action=ChangeAction.CREATE,
        model=User,
        batch_id="demo:grid-workers",
        description=f"演示网格员 {len(created)} 名",
        before=None,
        after={"usernames": sorted(by_username)},
    )
    return len(created)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    place: str


def demo_logins() -> list[Login]:
    """The demo logins as they are in the database now (one query), in role-catalogue order."""
    rows = (
        RoleAssignment.objects.filter(
            user__username__in=DEMO_LOGINS, role__code__in=set(DEMO_LOGINS.values())
        )
        .select_related("user", "role", "area", "grid")
        .order_by("pk")
    )
    order = list(DEMO_LOGINS)
    logins = [
        Login(row.user.username, row.role.name, (row.grid or row.area).name)
        for row in rows
        if DEMO_LOGINS.get(row.user.username) == row.role.code
    ]
    return sorted(logins, key=lambda login: order.index(login.username))


def _width(text: str) -> int:
    # CJK characters take two terminal columns; pad by display width so the columns line up.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(logins: list[Login], password: str) -> str:
    header = [_("用户名"), _("角色"), _("区划/网格"), _("初始密码")]
    rows = [[login.username, login.role, login.place, password] for login in logins]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
