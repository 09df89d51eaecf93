"""The demo city: a fictional but realistic 临江市 (338000000000) for `make demo`, tests and benchmarks.

`generate_city(seed, grids)` is pure data (no database): the area tree (city → districts and counties
→ townships → villages/communities), base grids that tile every village, dedicated grids (专属网格)
inside base grids, units and one demo person per built-in role. The same seed gives the same city;
`grids` scales the whole tree, so `grids=50_000` gives a city of exactly 50,000 grids for benchmarks.
`write_files` writes it as the import commands read it; `load_city` bulk-loads it into the database.

How the polygons tile exactly: the city is a lattice of (W+1)×(H+1) jittered, gently warped points.
Every area and base grid is a rectangle of lattice *cells* in index space, found by recursive
bisection (each level's rectangle is cut among its children in proportion to their size), and its
polygon walks its rectangle's border through every lattice point on it. Neighbours therefore share
the very same float coordinates along their common border, so children cover their parent exactly
and overlap nowhere (shared edges only), at every level, without any polygon arithmetic. Jitter and
warp only move lattice points, so what looks organic is still an exact partition.

Sizes: rural grids are larger than urban ones (CELLS_PER_GRID by urban–rural code), as in practice.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

from . import demo_names as names

DEMO_CITY_CODE = "338000000000"
DEMO_VINTAGE = 2024
DEFAULT_SEED = 2026
DEFAULT_GRIDS = 400
MIN_GRIDS = 3  # one grid in each of the three counties
MAX_GRIDS = 1_000_000  # keeps counties within the code space below 71 (71–79 are functional zones)
DEDICATED_EVERY = 25  # one grid in 25 is a dedicated grid (school, hospital, market)
BASE_GRIDS_PER_VILLAGE = 6.4  # 384 base grids in 60 villages at the default size
MAX_VILLAGES_PER_TOWNSHIP = 150  # well inside 001–199 (居委会) and 201–399 (村委会)
MAX_TOWNSHIPS_PER_COUNTY = 60  # well inside 001–099 (街道) / 101–199 (镇) / 201–399 (乡)
MAX_DISTRICTS = 19  # district codes 02–20; counties take 21–70

# Lattice cells per base grid by urban–rural code: a rural grid covers four times an urban one.
CELLS_PER_GRID = {"111": 4, "112": 6, "121": 6, "122": 9, "210": 9, "220": 16}
# Relative number of grids per village by urban–rural code (dense communities have more).
GRID_DENSITY = {"111": 1.6, "112": 1.3, "121": 1.3, "122": 1.0, "210": 1.0, "220": 0.7}
DEDICATED_HOSTS = ("111", "112", "121", "210")  # where schools, hospitals and markets cluster
CELL_DEGREES = (0.004, 0.0035)  # one lattice cell ≈ 385 m × 390 m at 30°N
CENTRE = (120.1, 30.2)  # eastern China; the city itself is fictional
JITTER = 0.22  # of a cell; below 0.25 every lattice quad stays convex
DEMO_LOGINS = names.DEMO_LOGINS  # username → built-in role, one login per role
DIGITS = 7  # ≈ 1 cm; rounding happens once per lattice point, so neighbours still share coordinates


@dataclass(frozen=True, slots=True)
class AreaSpec:
    """One division: 12-digit code, Chinese name, level, parent code, urban–rural code (villages
    only, as in the NBS tables) and its boundary as a GeoJSON Polygon in WGS-84."""

    code: str
    name: str
    level: str
    parent_code: str | None
    urban_rural: str
    boundary: dict


@dataclass(frozen=True, slots=True)
class GridSpec:
    """One grid of the master layer with what its public notice (公示) shows."""

    code: str
    name: str
    village_code: str
    kind: str  # "base" or "dedicated"
    boundary: dict
    parent_grid_code: str | None
    supervision_phone: str
    worker_name: str
    worker_phone: str
    institution: str = ""  # school / hospital / market for dedicated grids

    @property
    def notice(self) -> str:
        # Data, not interface text: what the office publishes beside the worker list and the phone.
        return "网格员负责本网格的巡查走访、信息采集和矛盾纠纷排查；群众反映问题可直接联系网格员，对网格员工作不满意可拨打监督电话。"


@dataclass(frozen=True, slots=True)
class UnitSpec:
    code: str
    name: str
    kind: str  # a civicgrid.accounts.choices.UnitKind value
    area_code: str


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A demo login: one per built-in role (civicgrid.accounts.roles.SYSTEM_ROLES)."""

    username: str
    role: str
    display_name: str
    phone: str
    area_code: str
    grid_code: str | None
    unit_code: str


@dataclass
class DemoCity:
    seed: int
    serial_width: int
    areas: list[AreaSpec]
    grids: list[GridSpec]
    units: list[UnitSpec]
    people: list[PersonSpec]

    @property
    def city_code(self) -> str:
        return self.areas[0].code

    def counts(self) -> dict[str, int]:
        result = {"city": 0, "county": 0, "township": 0, "village": 0}
        for area in self.areas:
            result[area.level] += 1
        result["base_grids"] = sum(1 for g in self.grids if g.kind == "base")
        result["dedicated_grids"] = len(self.grids) - result["base_grids"]
        result["grids"] = len(self.grids)
        result["units"] = len(self.units)
        result["people"] = len(self.people)
        return result


# --- the shape of the tree --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sizes:
    counties: int
    districts: int
    townships: int
    villages: int
    base: int
    dedicated: int


def _sizes(grids: int) -> _Sizes:
    """How many of each level a city of `grids` grids has. Depends on `grids` only (not the seed),
    so the counts are fixed numbers: 400 → 3 counties (2 districts), 10 townships, 60 villages,
    384 base + 16 dedicated grids; 50,000 → 15 counties, 112 townships, 7,500 villages."""
    dedicated = grids // DEDICATED_EVERY
    base = grids - dedicated
    scale = grids / DEFAULT_GRIDS
    villages = min(base, max(3, round(base / BASE_GRIDS_PER_VILLAGE)))
    townships = max(3, round(10 * scale**0.5), math.ceil(villages / MAX_VILLAGES_PER_TOWNSHIP))
    townships = min(villages, townships)
    counties = max(3, round(3 * scale ** (1 / 3)), math.ceil(townships / MAX_TOWNSHIPS_PER_COUNTY))
    counties = min(townships, counties)
    districts = min(counties - counties // 3, MAX_DISTRICTS)
    return _Sizes(counties, districts, townships, villages, base, dedicated)


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal integers, larger ones first."""
    q, r = divmod(total, parts)
    return [q + 1 if i < r else q for i in range(parts)]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """`total` split by weight, at least 1 each, exactly summing to `total` (largest remainder)."""
    rest = total - len(weights)
    wsum = sum(weights)
    shares = [rest * w / wsum for w in weights]
    counts = [1 + int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _NamePool:
    """Two-syllable place names, drawn without replacement (unique within one pool)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.size = len(names.PLACE_FIRST) * len(names.PLACE_SECOND)

    def draw(self, n: int, avoid: set[str] | None = None) -> list[str]:
        avoid = avoid or set()
        picked: list[str] = []
        for index in self.rng.sample(range(self.size), min(self.size, n + len(avoid))):
            first, second = divmod(index, len(names.PLACE_SECOND))
            base = names.PLACE_FIRST[first] + names.PLACE_SECOND[second]
            if base not in avoid:
                picked.append(base)
            if len(picked) == n:
                return picked
        # More names than the pool holds (only for huge cities): repeat with an ordinal.
        return [
            picked[i % len(picked)] + ("" if i < len(picked) else str(i // len(picked) + 1)) for i in range(n)
        ]


def _person_name(rng: random.Random) -> str:
    draw = rng.random
    surname = names.SURNAMES[int(draw() * len(names.SURNAMES))]
    given = names.GIVEN[int(draw() * len(names.GIVEN))]
    second = draw()
    return surname + given + (names.GIVEN[int(second / 0.7 * len(names.GIVEN))] if second < 0.7 else "")


def _township_kinds(count: int, is_district: bool) -> list[str]:
    if is_district:
        towns = count // 4
        return ["street"] * (count - towns) + ["town"] * towns
    streets = 1 if count >= 4 else 0
    xiang = count // 3
    return ["street"] * streets + ["town"] * (count - streets - xiang) + ["xiang"] * xiang


def _village_types(count: int, kind: str, is_district: bool, outer: bool) -> list[tuple[bool, str]]:
    """(is_community, urban_rural) for each village of a township, communities first."""
    if kind == "street":
        code = "112" if (is_district and outer) else "111"
        return [(True, code)] * count
    if kind == "town" and is_district:
        communities = max(1, count // 3)
        return [(True, "112")] * communities + [(False, "220")] * (count - communities)
    if kind == "town":
        communities = max(1, count // 4)
        villages = (
            [(False, "122")] + [(False, "220")] * (count - communities - 1) if count > communities else []
        )
        return [(True, "121")] * communities + villages
    return [(False, "210")] + [(False, "220")] * (count - 1)


_SUFFIX = {"street": "街道", "town": "镇", "xiang": "乡"}
_FIRST_CODE = {"street": 1, "town": 101, "xiang": 201}


# --- geometry: a jittered, warped lattice cut into rectangles of cells --------------------------------


class _Node:
    __slots__ = ("children", "code", "leaves", "weight")

    def __init__(self, code: str, children: list[_Node] | None = None, weight: int = 0):
        self.code = code
        self.children = children or []
        self.weight = weight if not self.children else sum(c.weight for c in self.children)
        self.leaves = 1 if not self.children else sum(c.leaves for c in self.children)


def _partition(rect: tuple[int, int, int, int], node: _Node, out: dict) -> None:
    out[node.code] = rect
    if node.children:
        _cut(rect, node.children, out)


def _cut(rect: tuple[int, int, int, int], nodes: list[_Node], out: dict) -> None:
    """Share `rect` among `nodes` (in order) by recursive bisection in proportion to their weight;
    every leaf gets at least one cell."""
    if len(nodes) == 1:
        _partition(rect, nodes[0], out)
        return
    i0, j0, i1, j1 = rect
    width, height = i1 - i0, j1 - j0
    total = sum(n.weight for n in nodes)
    prefix, leaves = [], []
    acc = acc_leaves = 0
    for n in nodes[:-1]:
        acc += n.weight
        acc_leaves += n.leaves
        prefix.append(acc)
        leaves.append(acc_leaves)
    all_leaves = acc_leaves + nodes[-1].leaves

    def balance(k: int) -> tuple[int, int]:
        return abs(2 * prefix[k] - total), k

    # The most even split nearly always fits; only then sort the alternatives.
    best = min(range(len(prefix)), key=balance)
    splits = itertools.chain((best,), (k for k in sorted(range(len(prefix)), key=balance) if k != best))
    axes = (0, 1) if width >= height else (1, 0)
    for k in splits:
        fraction = prefix[k] / total
        for axis in axes:
            length, other = (width, height) if axis == 0 else (height, width)
            low = math.ceil(leaves[k] / other)
            high = length - math.ceil((all_leaves - leaves[k]) / other)
            if low > high:
                continue
            at = min(high, max(low, round(fraction * length)))
            if axis == 0:
                first, second = (i0, j0, i0 + at, j1), (i0 + at, j0, i1, j1)
            else:
                first, second = (i0, j0, i1, j0 + at), (i0, j0 + at, i1, j1)
            _cut(first, nodes[: k + 1], out)
            _cut(second, nodes[k + 1 :], out)
            return
    raise RuntimeError(f"cannot share {rect} among {all_leaves} grids")  # guarded by cells ≥ leaves


class _Lattice:
    """Lattice point (i, j) → (lon, lat): integer position + seeded jitter, a smooth radial warp that
    turns the rectangle into an irregular outline, then degrees around CENTRE, rounded once."""

    def __init__(self, width: int, height: int, rng: random.Random):
        shape = (width + 1, height + 1)
        # RandomState's stream is frozen by NumPy (NEP 19), so the same seed keeps giving the same city.
        stream = np.random.RandomState(int(rng.random() * 2**32))
        jitter = (stream.random_sample((2, *shape)) - 0.5) * (2 * JITTER)
        cx, cy = width / 2, height / 2
        dx = np.arange(shape[0])[:, None] + jitter[0] - cx
        dy = np.arange(shape[1])[None, :] + jitter[1] - cy
        theta = np.arctan2(dy, dx)
        phases = [rng.random() * 2 * math.pi for _k in range(3)]
        # r → r·f(θ) keeps every ray and the orientation (Jacobian f² > 0): no cell can fold over.
        factor = (
            1
            + 0.08 * np.sin(2 * theta + phases[0])
            + 0.06 * np.sin(3 * theta + phases[1])
            + 0.03 * np.sin(5 * theta + phases[2])
        )
        lon0 = CENTRE[0] + (rng.random() - 0.5) * 0.05
        lat0 = CENTRE[1] + (rng.random() - 0.5) * 0.05
        self.lon = np.round(lon0 + dx * factor * CELL_DEGREES[0], DIGITS).tolist()
        self.lat = np.round(lat0 + dy * factor * CELL_DEGREES[1], DIGITS).tolist()
        # Immutable (lon, lat) pairs, by column and by row, so that a ring is four list slices and
        # neighbouring polygons share the very same coordinate objects.
        self.by_i = [
            list(zip(lon_i, lat_i, strict=True)) for lon_i, lat_i in zip(self.lon, self.lat, strict=True)
        ]
        self.by_j = [list(row) for row in zip(*self.by_i, strict=True)]

    def ring(self, rect: tuple[int, int, int, int]) -> dict:
        """The rectangle's border through every lattice point on it, counter-clockwise, closed."""
        i0, j0, i1, j1 = rect
        by_i, by_j = self.by_i, self.by_j
        points = by_j[j0][i0 : i1 + 1]  # south edge, west → east
        points += by_i[i1][j0 + 1 : j1 + 1]  # east edge, south → north
        points += by_j[j1][i0:i1][::-1]  # north edge, east → west
        points += by_i[i0][j0:j1][::-1]  # west edge, north → south, back to the start
        return {"type": "Polygon", "coordinates": [points]}

    def inner_quad(self, rect: tuple[int, int, int, int], shrink: float = 0.55) -> dict:
        """A small quadrilateral strictly inside the rectangle's middle cell (a dedicated grid)."""
        i0, j0, i1, j1 = rect
        ci, cj = (i0 + i1 - 1) // 2, (j0 + j1 - 1) // 2
        corners = [(ci, cj), (ci + 1, cj), (ci + 1, cj + 1), (ci, cj + 1)]
        xs = [self.lon[i][j] for i, j in corners]
        ys = [self.lat[i][j] for i, j in corners]
        mx, my = sum(xs) / 4, sum(ys) / 4
        points = [
            [round(mx + shrink * (x - mx), DIGITS), round(my + shrink * (y - my), DIGITS)]
            for x, y in zip(xs, ys, strict=True)
        ]
        return {"type": "Polygon", "coordinates": [[*points, points[0]]]}


# --- the generator -------------------------------------------------------------------------------------


def generate_city(seed: int = DEFAULT_SEED, grids: int = DEFAULT_GRIDS, *, serial_width: int = 3) -> DemoCity:
    """A fictional city of exactly `grids` grids (base + dedicated), deterministic from `seed`.

    Counts depend on `grids` alone (see `_sizes`); names, grids per village, dedicated-grid sites,
    the lattice jitter, the outline and the exact location depend on the seed."""
    if isinstance(grids, bool) or not isinstance(grids, int) or not MIN_GRIDS <= grids <= MAX_GRIDS:
        raise ValueError(
            _("网格数（grids）必须是 %(min)d 到 %(max)d 之间的整数：%(value)s")
            % {"min": MIN_GRIDS, "max": MAX_GRIDS, "value": grids}
        )
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not a secret
    sizes = _sizes(grids)
    pool = _NamePool(rng)
    city = DEMO_CITY_CODE
    prefix = city[:4]

    # Counties: districts 02…, counties 21… (as the NBS numbers them).
    county_bases = pool.draw(sizes.counties)
    counties = []  # (code, name, is_district)
    for index in range(sizes.counties):
        is_district = index < sizes.districts
        number = 2 + index if is_district else 21 + index - sizes.districts
        suffix = "区" if is_district else "县"
        counties.append((f"{prefix}{number:02d}000000", county_bases[index] + suffix, is_district))

    # Townships: spread evenly over counties; kinds by the county's character.
    township_bases = pool.draw(sizes.townships, avoid=set(county_bases))
    townships = []  # (code, name, kind, county index, is_district, outer)
    for c_index, count in enumerate(_spread(sizes.townships, sizes.counties)):
        code6, is_district = counties[c_index][0][:6], counties[c_index][2]
        kinds = _township_kinds(count, is_district)
        streets = kinds.count("street")
        serial = dict(_FIRST_CODE)
        for position, kind in enumerate(kinds):
            base = township_bases[len(townships)]
            outer = kind == "street" and position == streets - 1 and streets >= 2
            townships.append(
                (f"{code6}{serial[kind]:03d}000", base + _SUFFIX[kind], kind, c_index, is_district, outer)
            )
            serial[kind] += 1

    # Villages (村/社区): spread evenly over townships; communities 001…, villages 201….
    villages = []  # (code, name, urban_rural, township index)
    for t_index, count in enumerate(_spread(sizes.villages, sizes.townships)):
        code9, _name, kind, _c, is_district, outer = townships[t_index]
        bases = pool.draw(count)
        community_no, village_no = 1, 201
        for v_index, (is_community, urban_rural) in enumerate(
            _village_types(count, kind, is_district, outer)
        ):
            if is_community:
                code, community_no = f"{code9[:9]}{community_no:03d}", community_no + 1
            else:
                code, village_no = f"{code9[:9]}{village_no:03d}", village_no + 1
            villages.append((code, bases[v_index] + ("社区" if is_community else "村"), urban_rural, t_index))

    # Base grids per village: by density and a seeded spread, exactly `sizes.base` in all.
    weights = [GRID_DENSITY[v[2]] * (0.7 + 0.6 * rng.random()) for v in villages]
    per_village = _allocate(sizes.base, weights)

    # Dedicated grids: hosts drawn from base grids of central communities and villages first.
    hosts: list[tuple[int, int]] = []
    others: list[tuple[int, int]] = []
    for v, count in enumerate(per_village):
        (hosts if villages[v][2] in DEDICATED_HOSTS else others).extend((v, n) for n in range(count))
    rng.shuffle(hosts)
    rng.shuffle(others)
    chosen = sorted((hosts + others)[: sizes.dedicated])
    limit = 10**serial_width - 1
    dedicated_per_village = [0] * len(villages)
    for v, _n in chosen:
        dedicated_per_village[v] += 1
    if any(per_village[v] + dedicated_per_village[v] > limit for v in range(len(villages))):
        raise ValueError(
            _("网格序号位数（serial_width）为 %(n)d，容纳不下某村（社区）的网格数") % {"n": serial_width}
        )

    # The geometry tree: city → counties → townships → villages → base grids (leaves).
    def grid_code(v: int, n: int) -> str:
        return f"{villages[v][0]}{n + 1:0{serial_width}d}"

    village_nodes = [
        _Node(code, [_Node(grid_code(v, n), weight=CELLS_PER_GRID[ur]) for n in range(per_village[v])])
        for v, (code, _name, ur, _t) in enumerate(villages)
    ]
    villages_of: list[list[_Node]] = [[] for _t in townships]
    for v, village in enumerate(villages):
        villages_of[village[3]].append(village_nodes[v])
    townships_of: list[list[_Node]] = [[] for _c in counties]
    for t, township in enumerate(townships):
        townships_of[township[3]].append(_Node(township[0], villages_of[t]))
    county_nodes = [_Node(c[0], townships_of[ci]) for ci, c in enumerate(counties)]
    root = _Node(city, county_nodes)
    width = max(1, round(math.sqrt(root.weight * 1.25)))
    height = max(1, math.ceil(root.weight / width))
    rects: dict[str, tuple[int, int, int, int]] = {}
    _partition((0, 0, width, height), root, rects)
    lattice = _Lattice(width, height, rng)

    areas = [AreaSpec(city, names.CITY_NAME, "city", None, "", lattice.ring(rects[city]))]
    areas += [
        AreaSpec(code, name, "county", city, "", lattice.ring(rects[code])) for code, name, _d in counties
    ]
    areas += [
        AreaSpec(code, name, "township", counties[c][0], "", lattice.ring(rects[code]))
        for code, name, _k, c, _d, _o in townships
    ]
    areas += [
        AreaSpec(code, name, "village", townships[t][0], ur, lattice.ring(rects[code]))
        for code, name, ur, t in villages
    ]

    # Grids with their public notice: worker phones 138 0000 0001…, one supervision line per township.
    grid_specs: list[GridSpec] = []
    chosen_by_village: dict[int, list[int]] = {}
    for v, n in chosen:
        chosen_by_village.setdefault(v, []).append(n)
    phone_no = 0
    for v, (vcode, vname, _ur, t) in enumerate(villages):
        supervision = f"139{t + 1:08d}"
        for n in range(per_village[v]):
            phone_no += 1
            code = grid_code(v, n)
            grid_specs.append(
                GridSpec(
                    code,
                    f"{vname}第{n + 1}网格",
                    vcode,
                    "base",
                    lattice.ring(rects[code]),
                    None,
                    supervision,
                    _person_name(rng),
                    f"138{phone_no:08d}",
                )
            )
        used: set[str] = set()
        for offset, n in enumerate(chosen_by_village.get(v, ())):
            phone_no += 1
            institution = rng.choices(("school", "hospital", "market"), weights=(5, 2, 3))[0]
            label = vname.removesuffix("社区").removesuffix("村") + rng.choice(
                names.INSTITUTIONS[institution]
            )
            while label in used:
                label += "分部"
            used.add(label)
            host = grid_code(v, n)
            grid_specs.append(
                GridSpec(
                    grid_code(v, per_village[v] + offset),
                    f"{label}专属网格",
                    vcode,
                    "dedicated",
                    lattice.inner_quad(rects[host]),
                    host,
                    supervision,
                    _person_name(rng),
                    f"138{phone_no:08d}",
                    institution,
                )
            )

    units, people = _units_and_people(rng, city, counties, townships, grid_specs[0])
    return DemoCity(
        seed=seed, serial_width=serial_width, areas=areas, grids=grid_specs, units=units, people=people
    )


def _units_and_people(rng, city, counties, townships, first_grid: GridSpec):
    """Command centres (city and each county), the nine departments of every county and the
    office of every township; then one demo login per built-in role, placed in the first district."""
    units = [UnitSpec("city-command-centre", f"{names.CITY_NAME}社会治理指挥中心", "command_centre", city)]
    for code, name, is_district in counties:
        units.append(
            UnitSpec(f"c{code[:6]}-command-centre", f"{name}社会治理指挥中心", "command_centre", code)
        )
        for slug, suffix in names.COUNTY_DEPARTMENTS:
            if slug == "gongan" and is_district:
                suffix = "公安分局"  # a district's police is a branch of the city bureau
            units.append(UnitSpec(f"c{code[:6]}-{slug}", name + suffix, "department", code))
    for code, name, kind, _c, _d, _o in townships:
        office = name + ("办事处" if kind == "street" else "人民政府")
        units.append(UnitSpec(f"t{code[:9]}-office", office, "government_office", code))

    district, township = counties[0][0], townships[0][0]
    centre, district_centre = "city-command-centre", f"c{district[:6]}-command-centre"
    office = f"t{township[:9]}-office"
    where = {  # username → (area, grid, unit)
        "gridworker": (first_grid.village_code, first_grid.code, office),
        "township": (township, None, office),
        "county": (district, None, district_centre),
        "city": (city, None, centre),
        "handler": (district, None, f"c{district[:6]}-chengguan"),
        "mediator": (township, None, office),
        "leader": (city, None, centre),
        "auditor": (city, None, centre),
        "admin": (city, None, centre),
        "petition": (district, None, f"c{district[:6]}-xinfang"),
        "inspector": (district, None, f"c{district[:6]}-jiwei"),
    }
    plan = [(username, role, *where[username]) for username, role in DEMO_LOGINS.items()]
    people = []
    for number, (username, role, area_code, grid, unit) in enumerate(plan, start=1):
        if grid is not None:  # the grid worker is the one the grid's public notice names
            display, phone = first_grid.worker_name, first_grid.worker_phone
        else:
            display, phone = _person_name(rng), f"137{number:08d}"
        people.append(PersonSpec(username, role, display, phone, area_code, grid, unit))
    return units, people


# --- files for the import commands ----------------------------------------------------------------------


def write_files(city: DemoCity, directory) -> dict[str, Path]:
    """divisions.csv (code,name,parent_code,urban_rural; UTF-8), areas.geojson (properties
    code/name/level) and grids.geojson (properties code/name/village_code/kind/parent_grid_code)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "divisions": directory / "divisions.csv",
        "areas": directory / "areas.geojson",
        "grids": directory / "grids.geojson",
    }
    with paths["divisions"].open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "parent_code", "urban_rural"])
        for area in city.areas:
            writer.writerow([area.code, area.name, area.parent_code or "", area.urban_rural])
    _write_features(
        paths["areas"], [({"code": a.code, "name": a.name, "level": a.level}, a.boundary) for a in city.areas]
    )
    _write_features(
        paths["grids"],
        [
            (
                {
                    "code": g.code,
                    "name": g.name,
                    "village_code": g.village_code,
                    "kind": g.kind,
                    "parent_grid_code": g.parent_grid_code,
                },
                g.boundary,
            )
            for g in city.grids
        ],
    )
    return paths


def _write_features(path: Path, features) -> None:
    # One feature per line: streams with bounded memory and keeps the file diff- and grep-friendly.
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"type":"FeatureCollection","features":[\n')
        for index, (properties, geometry) in enumerate(features):
            feature = {"type": "Feature", "properties": properties, "geometry": geometry}
            handle.write(
                ("" if index == 0 else ",\n") + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
            )
        handle.write("\n]}\n")


# --- loading into the database --------------------------------------------------------------------------


def load_city(city: DemoCity, actor=None, *, vintage: int = DEMO_VINTAGE, batch_size: int = 500) -> dict:
    """Write the demo city's areas, grids and layers into the database in one transaction.

    Rows go in with `bulk_create` level by level (parents first, so each level knows its parents'
    ids), with materialized paths from `codes.area_path`/`codes.grid_path`. Layers: the master
    综治网格 layer (`comprehensive`, reused when it exists) and a specialised 城管网格 layer
    (`chengguan`) with one cell per village mapped onto that village's base grids.

    Audit: a bulk load of thousands of rows writes ONE ObjectChange row, on the city area, whose
    `after` summarises what was loaded (seed, counts per level, layers) — a row per grid would bury
    the auditors' log under generated data while saying nothing more. `actor=None` is the system
    (the operator running `manage.py load_demo`). The spatial index is told after commit.

    Preconditions: nothing under the city's code exists yet (else ServiceError, nothing written);
    the city was generated with the configured grid serial width."""
    from django.db import transaction

    from civicgrid.audit.models import ChangeAction
    from civicgrid.audit.services import record_change
    from civicgrid.core.errors import ServiceError

    from . import spatial_index
    from .codes import area_path, grid_path, grid_serial_width
    from .error_codes import AreaErrorCode
    from .models import Area, Grid, GridLayer, LayerCell

    if city.serial_width != grid_serial_width():
        raise ServiceError(
            AreaErrorCode.INVALID_GRID_CODE,
            _("演示城市的网格序号为 %(demo)d 位，与配置的 %(configured)d 位不一致")
            % {"demo": city.serial_width, "configured": grid_serial_width()},
            field="grids",
        )
    prefix = city.city_code[:4]
    with transaction.atomic():
        if Area.objects.filter(code__startswith=prefix).exists():
            raise ServiceError(
                AreaErrorCode.DUPLICATE_CODE,
                _("代码以 %(prefix)s 开头的区划已存在，演示城市未加载") % {"prefix": prefix},
                field="code",
            )
        province = (
            Area.objects.filter(code=city.city_code[:2].ljust(12, "0")).values_list("id", flat=True).first()
        )
        ids: dict[str | None, int | None] = {None: province}
        paths: dict[str, str] = {}
        for level in ("city", "county", "township", "village"):
            rows = [
                Area(
                    code=a.code,
                    vintage=vintage,
                    level=a.level,
                    name=a.name,
                    urban_rural=a.urban_rural,
                    parent_id=ids[a.parent_code],
                    path=area_path(a.code),
                    boundary=a.boundary,
                )
                for a in city.areas
                if a.level == level
            ]
            Area.objects.bulk_create(rows, batch_size=batch_size)
            for code, pk, path in Area.objects.filter(level=level, code__startswith=prefix).values_list(
                "code", "id", "path"
            ):
                ids[code], paths[code] = pk, path

        grid_ids: dict[str, int] = {}
        for kind in ("base", "dedicated"):
            rows = [
                Grid(
                    code=g.code,
                    name=g.name,
                    village_id=ids[g.village_code],
                    kind=g.kind,
                    path=grid_path(paths[g.village_code], g.code),
                    boundary=g.boundary,
                    parent_grid_id=grid_ids.get(g.parent_grid_code),
                    supervision_phone=g.supervision_phone,
                    notice=g.notice,
                )
                for g in city.grids
                if g.kind == kind
            ]
            Grid.objects.bulk_create(rows, batch_size=batch_size)
            grid_ids.update(Grid.objects.filter(kind=kind, code__startswith=prefix).values_list("code", "id"))

        master = GridLayer.objects.filter(is_master=True).first()
        if master is None:
            master = GridLayer.objects.create(code="comprehensive", name="综治网格", is_master=True)
        chengguan, _created = GridLayer.objects.get_or_create(
            code="chengguan",
            defaults={"name": "城管网格", "description": "城市管理责任网格，一村（社区）一格"},
        )
        villages = [a for a in city.areas if a.level == "village"]
        LayerCell.objects.bulk_create(
            [
                LayerCell(
                    layer=chengguan,
                    code=f"CG{v.code}",
                    name=f"{v.name}城管责任网格",
                    area_id=ids[v.code],
                    path=paths[v.code],
                    boundary=v.boundary,
                )
                for v in villages
            ],
            batch_size=batch_size,
        )
        cell_ids = dict(
            LayerCell.objects.filter(layer=chengguan, code__startswith=f"CG{prefix}").values_list(
                "code", "id"
            )
        )
        through = LayerCell.master_grids.through
        through.objects.bulk_create(
            [
                through(layercell_id=cell_ids[f"CG{g.village_code}"], grid_id=grid_ids[g.code])
                for g in city.grids
                if g.kind == "base"
            ],
            batch_size=2000,
        )
        counts = city.counts()
        summary = {
            "demo_city": True,
            "seed": city.seed,
            "vintage": vintage,
            "areas": {level: counts[level] for level in ("city", "county", "township", "village")},
            "grids": {"base": counts["base_grids"], "dedicated": counts["dedicated_grids"]},
            "layers": {master.code: counts["grids"], chengguan.code: len(villages)},
        }
        city_area = Area.objects.get(pk=ids[city.city_code])
        record_change(actor=actor, action=ChangeAction.CREATE, instance=city_area, before=None, after=summary)
        # Other processes rebuild their in-memory index once this commits (never from rolled-back rows).
        mark = getattr(spatial_index, "mark_changed", None)
        if mark is not None:
            transaction.on_commit(mark)
    return summary
