"""Area browser: a tree of the areas the user may view beside a map of the selected area's grids,
and the grid page with its public notice (公示).

Every lookup goes through `restrict` / `get_scoped_or_404`: missing and forbidden are the same 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civicgrid.core.scope import get_scoped_or_404

from .choices import AreaLevel, GridKind
from .codes import parent_code
from .geojson import (
    area_feature,
    feature_collection,
    grid_collection_json,
    grid_feature,
    grid_features,
    grid_url_template,
)
from .models import Area, Grid

VIEW_AREA = "areas.view_area"
VIEW_GRID = "areas.view_grid"

# Above this many grids the map would be slow and unreadable on a phone; the endpoint sends the
# first ones, says so, and the page asks the user to pick a smaller area.
MAP_GRID_LIMIT = 5000
# The list under the map is for reading, not a bulk export (the API pages through the rest).
GRID_LIST_LIMIT = 1000


def visible_areas(user):
    return Area.objects.restrict(user, VIEW_AREA).filter(is_active=True)


def visible_grids(user):
    return Grid.objects.restrict(user, VIEW_GRID).filter(is_active=True)


def grid_rows(grids) -> list[dict]:
    """The grid list under the map, read as plain rows: it may hold thousands of grids."""
    template = grid_url_template()
    labels = dict(GridKind.choices)
    return [
        {
            "code": code,
            "name": name,
            "kind": labels.get(kind, kind),
            "village": village,
            "url": template.replace("__code__", code),
        }
        for code, name, kind, village in grids.values_list("code", "name", "kind", "village__name")
    ]


def tree_roots(user) -> list[Area]:
    """The top of the user's scope: visible areas whose parent is not visible (one per grant)."""
    areas = visible_areas(user)
    top = areas.order_by("path").only("id", "path")
    roots: list[int] = []
    last_path = None
    # Paths sort parents before children, so a path that does not extend the last root starts a new one.
    for area in top.iterator():
        if last_path is None or not area.path.startswith(last_path):
            roots.append(area.pk)
            last_path = area.path
    return list(areas.filter(pk__in=roots).order_by("code"))


def children_of(user, area: Area) -> list[Area]:
    return list(visible_areas(user).filter(parent=area).order_by("code"))


def expandable(area: Area) -> bool:
    return area.level != AreaLevel.VILLAGE


def build_open_tree(user, roots: list[Area], selected: Area | None) -> list[dict]:
    """Tree nodes for the template; the branch leading to `selected` is opened server-side, every
    other branch is loaded on demand with htmx (a city may have thousands of villages)."""
    open_paths = set()
    if selected is not None:
        open_paths = {selected.path[: i + 1] for i, ch in enumerate(selected.path) if ch == "/"}

    def node(area: Area) -> dict:
        is_open = area.path in open_paths and expandable(area)
        return {
            "area": area,
            "expandable": expandable(area),
            "open": is_open,
            "selected": selected is not None and area.pk == selected.pk,
            "children": [node(child) for child in children_of(user, area)] if is_open else None,
        }

    return [node(root) for root in roots]


@login_required
@require_GET
def area_browser(request, code: str | None = None):
    """/areas/ and /areas/<code>/: the tree and the map of the selected area's grids."""
    roots = tree_roots(request.user)
    if code is not None:
        selected = get_scoped_or_404(Area.objects.filter(is_active=True), request.user, VIEW_AREA, code=code)
    else:
        selected = roots[0] if roots else None
    context = {
        "roots": build_open_tree(request.user, roots, selected),
        "selected": selected,
        "chain": area_chain(selected.code) if selected else [],
        "grids": [],
        "grid_count": 0,
        "map_grid_limit": MAP_GRID_LIMIT,
    }
    if selected is not None:
        grids = visible_grids(request.user).filter(path__startswith=selected.path).order_by("code")
        context["grid_count"] = grids.count()
        context["grids"] = grid_rows(grids[:GRID_LIST_LIMIT])
        # The grids come from the GeoJSON endpoint; the page carries only the area's outline.
        context["map_features"] = {"outline": area_feature(selected), "grids": None}
    else:
        # A grid worker's grant covers grids, not areas: show the grids themselves.
        grids = visible_grids(request.user).order_by("code")
        context["grid_count"] = grids.count()
        context["grids"] = grid_rows(grids[:GRID_LIST_LIMIT])
        grids = grids[:MAP_GRID_LIMIT]
        rows = grids.values_list("pk", "code", "name", "kind", "boundary", named=True)
        context["map_features"] = {"outline": None, "grids": feature_collection(grid_features(rows))}
    return render(request, "areas/browser.html", context)


@login_required
@require_GET
def area_children(request, code: str):
    """htmx fragment: the visible children of one area, as tree nodes (collapsed)."""
    area = get_scoped_or_404(Area, request.user, VIEW_AREA, code=code)
    nodes = [
        {"area": child, "expandable": expandable(child), "open": False, "selected": False, "children": None}
        for child in children_of(request.user, area)
    ]
    return render(request, "areas/_tree_nodes.html", {"nodes": nodes})


@login_required
@require_GET
def area_grids_geojson(request, code: str):
    """The grids of an area the user may view, as a FeatureCollection (404 when the area is missing
    or outside the user's scope). `truncated` and `total` are foreign members (RFC 7946 §6.1)."""
    area = get_scoped_or_404(Area, request.user, VIEW_AREA, code=code)
    grids = visible_grids(request.user).filter(path__startswith=area.path).order_by("code")
    total = grids.count()
    # Named rows with the boundary as stored text: a township's map is hundreds of polygons per
    # request, and decoding them only to encode them again was half of the endpoint's time.
    rows = grids.annotate(boundary_json=Cast("boundary", TextField())).values_list(
        "pk", "code", "name", "kind", "boundary_json", named=True
    )[:MAP_GRID_LIMIT]
    body = grid_collection_json(rows, {"total": total, "truncated": total > MAP_GRID_LIMIT})
    response = HttpResponse(body)
    response["Content-Type"] = "application/geo+json; charset=utf-8"
    response["Cache-Control"] = "private, no-store"
    return response


def area_chain(code: str) -> list[Area]:
    """The area and everything above it, top first. Names of the places above a grid are part of
    its public notice, so this reads them by code rather than through the user's scope."""
    codes = []
    current: str | None = code
    while current:
        codes.append(current)
        try:
            current = parent_code(current)
        except (ValueError, KeyError):
            break
    found = {a.code: a for a in Area.objects.filter(code__in=codes).only("id", "code", "name", "level")}
    return [found[c] for c in reversed(codes) if c in found]


@login_required
@require_GET
def grid_detail(request, code: str):
    """The grid page with its public notice (公示): name, area chain, grid workers with their phones
    and the supervision phone. The notice is public by law, so names and phones are not masked."""
    grids = Grid.objects.filter(is_active=True).select_related("village", "parent_grid")
    grid = get_scoped_or_404(grids, request.user, VIEW_GRID, code=code)
    workers = list(grid.workers.filter(is_active=True).order_by("display_name", "username"))
    context = {
        "grid": grid,
        "chain": area_chain(grid.village.code),
        "workers": workers,
        "map_features": {"outline": None, "grids": feature_collection([grid_feature(grid)])},
        "dedicated": list(visible_grids(request.user).filter(parent_grid=grid).order_by("code")),
    }
    return render(request, "areas/grid_detail.html", context)
