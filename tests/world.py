"""A small seeded world for tests: named users per role and area, as Zulip's example_user("hamlet").

临江市 338000000000 (fictional)
├── 江东区 338001 (county A)
│   ├── 东湖街道 338001001 (township A1)
│   │   ├── 东湖社区 338001001001 (village A1a) — grids 338001001001001, 338001001001002
│   │   └── 南岸社区 338001001002 (village A1b) — grid 338001001002001
│   └── 西湖街道 338001002 (township A2, sibling of A1)
│       └── 柳营村 338001002201 (village A2a) — grid 338001002201001
└── 江西区 338002 (county B, "another county")
    └── 北山镇 338002101 (township B1)
        └── 北山村 338002101201 (village B1a) — grid 338002101201001

Each village is a 0.05° square cut into vertical strips, one per grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from civicgrid.accounts.models import Role, RoleAssignment, Unit, User
from civicgrid.accounts.roles import sync_system_roles
from civicgrid.areas.choices import AreaLevel
from civicgrid.areas.codes import area_path, grid_path, level_of, parent_code
from civicgrid.areas.models import Area, Grid, GridLayer

PASSWORD = "Civic-Grid-2026!"


def square(lon: float, lat: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def strip(lon: float, lat: float, width: float, height: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height], [lon, lat]]
        ],
    }


AREAS = [
    # code, name, boundary origin (lon, lat, size) or None
    ("338000000000", "临江市", (120.0, 30.0, 0.4)),
    ("338001000000", "江东区", (120.0, 30.0, 0.2)),
    ("338001001000", "东湖街道", (120.0, 30.0, 0.1)),
    ("338001001001", "东湖社区", (120.0, 30.0, 0.05)),
    ("338001001002", "南岸社区", (120.05, 30.0, 0.05)),
    ("338001002000", "西湖街道", (120.1, 30.0, 0.1)),
    ("338001002201", "柳营村", (120.1, 30.0, 0.05)),
    ("338002000000", "江西区", (120.2, 30.0, 0.2)),
    ("338002101000", "北山镇", (120.2, 30.0, 0.1)),
    ("338002101201", "北山村", (120.2, 30.0, 0.05)),
]
GRIDS = {  # village code → number of grids
    "338001001001": 2,
    "338001001002": 1,
    "338001002201": 1,
    "338002101201": 1,
}


@dataclass
class World:
    areas: dict[str, Area] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)

    def area(self, code: str) -> Area:
        return self.areas[code]

    def user(self, name: str) -> User:
        return self.users[name]


def build_world() -> World:
    w = World()
    sync_system_roles()
    w.roles = {r.code: r for r in Role.objects.all()}
    for code, name, box in AREAS:
        parent = w.areas.get(parent_code(code)) if level_of(code) != AreaLevel.CITY else None
        w.areas[code] = Area.objects.create(
            code=code,
            vintage=2024,
            level=level_of(code),
            name=name,
            parent=parent,
            path=area_path(code),
            boundary=square(*box) if box else None,
        )
    GridLayer.objects.create(code="comprehensive", name="综治网格", is_master=True)
    for village_code, count in GRIDS.items():
        village = w.areas[village_code]
        lon, lat = village.boundary["coordinates"][0][0]
        width = 0.05 / count
        for i in range(count):
            code = f"{village_code}{i + 1:03d}"
            w.grids[code] = Grid.objects.create(
                code=code,
                name=f"{village.name}第{i + 1}网格",
                village=village,
                path=grid_path(village.path, code),
                boundary=strip(lon + i * width, lat, width, 0.05),
                supervision_phone="0571-12345678",
            )
    units = {
        "centre": ("city-command-centre", "临江市社会治理指挥中心", "command_centre", "338000000000"),
        "chengguan": ("jiangdong-chengguan", "江东区城市管理局", "department", "338001000000"),
        "donghu_office": ("donghu-office", "东湖街道办事处", "government_office", "338001001000"),
        "beishan_office": ("beishan-office", "北山镇人民政府", "government_office", "338002101000"),
        "petition_bureau": ("jiangdong-xinfang", "江东区信访局", "department", "338001000000"),
        "discipline": ("jiangdong-jiwei", "江东区纪委监委", "other", "338001000000"),
    }
    for key, (code, name, kind, area_code) in units.items():
        w.units[key] = Unit.objects.create(code=code, name=name, kind=kind, area=w.areas[area_code])

    people = [
        # name, role, area code, grid code, unit, display name, phone
        (
            "gridworker",
            "grid_worker",
            "338001001001",
            "338001001001001",
            "donghu_office",
            "王网格",
            "13800001111",
        ),
        ("township", "township_officer", "338001001000", None, "donghu_office", "李综治", "13800002222"),
        ("county", "county_dispatcher", "338001000000", None, "centre", "赵调度", "13800003333"),
        ("city", "city_dispatcher", "338000000000", None, "centre", "钱调度", "13800004444"),
        ("handler", "department_handler", "338001000000", None, "chengguan", "孙承办", "13800005555"),
        ("mediator", "mediator", "338001001000", None, "donghu_office", "周调解", "13800006666"),
        ("leader", "leader", "338000000000", None, "centre", "吴领导", "13800007777"),
        ("auditor", "auditor", "338000000000", None, "centre", "郑审计", "13800008888"),
        ("admin", "administrator", "338000000000", None, "centre", "冯管理", "13800009999"),
        ("county_admin", "administrator", "338001000000", None, "centre", "陈管理", "13900001111"),
        ("outsider", "township_officer", "338002101000", None, "beishan_office", "褚外区", "13900002222"),
        ("petition", "petition_officer", "338001000000", None, "petition_bureau", "卫信访", "13900003333"),
        ("inspector", "discipline_inspector", "338001000000", None, "discipline", "蒋纪检", "13900004444"),
    ]
    for username, role, area_code, grid_code, unit, display, phone in people:
        user = User.objects.create_user(
            username=username,
            password=PASSWORD,
            display_name=display,
            phone=phone,
            id_card="33010119900101123X",
            unit=w.units[unit],
            area=w.areas[area_code],
        )
        grid = w.grids[grid_code] if grid_code else None
        RoleAssignment.objects.create(
            user=user,
            role=w.roles[role],
            area=w.areas[area_code],
            grid=grid,
            scope_path=grid.path if grid else w.areas[area_code].path,
        )
        if grid:
            grid.workers.add(user)
        w.users[username] = user
    w.users["nobody"] = User.objects.create_user(username="nobody", password=PASSWORD)  # no roles at all
    return w


NAMES = SimpleNamespace(
    city="338000000000",
    county_a="338001000000",
    township_a1="338001001000",
    village_a1a="338001001001",
    village_a1b="338001001002",
    township_a2="338001002000",
    village_a2a="338001002201",
    county_b="338002000000",
    township_b1="338002101000",
    village_b1a="338002101201",
    grid_a1a_1="338001001001001",
    grid_a1a_2="338001001001002",
    grid_a1b_1="338001001002001",
    grid_a2a_1="338001002201001",
    grid_b1a_1="338002101201001",
)
