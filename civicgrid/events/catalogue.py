"""Reading the dispatch catalogue (派单目录): which unit leads a case of a category in an area, and
which units a township may summon (吹哨报到).

Resolution (`resolve_dispatch`): among the active rules whose category is the case's 小类 or its
大类 and whose area is the case's area or one of its ancestors, the most specific wins:

1. the deeper area wins (a rule for 东湖街道 beats one for 江东区) — 属地 first: the place decides
   before the class does;
2. at the same area, the 小类 rule beats the 大类 rule;
3. what is still tied (only possible for rules that were equal when the constraint of one active rule
   per category and area was bypassed) goes to the oldest rule (lowest id), so the answer never
   depends on the database's row order.

A rule whose lead unit has since been deactivated is skipped (the next rule decides); deactivated
co-handlers are left out. No rule → None: the case waits in the centre's "to dispatch" queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.accounts.choices import UnitKind
from civicgrid.accounts.models import Unit
from civicgrid.areas.choices import AreaLevel
from civicgrid.areas.models import Area

from .models.taxonomy import Category, DispatchRule


@dataclass(frozen=True)
class DispatchDecision:
    """Who gets a case: the lead unit (主办), the co-handlers (协办) and the rule that decided."""

    lead: Unit
    co_handlers: tuple[Unit, ...]
    rule: DispatchRule


def ancestor_paths(path: str) -> list[str]:
    """ "33/3380/338001/" → ["33/", "33/3380/", "33/3380/338001/"]: the place and every area above."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def resolve_dispatch(category: Category, area) -> DispatchDecision | None:
    """The lead and co-handler units for a case of `category` located in `area` (an Area, a Grid,
    or anything with a materialized `path`), by the most specific active rule; None when no rule
    applies. Two queries."""
    path = area if isinstance(area, str) else area.path
    categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rules = list(
        DispatchRule.objects.filter(
            is_active=True,
            category_id__in=categories,
            area__path__in=ancestor_paths(path),
            lead_unit__is_active=True,
        ).select_related("area", "category", "lead_unit")
    )
    if not rules:
        return None
    rules.sort(key=lambda r: (-len(r.area.path), r.category.parent_id is None, r.pk))
    rule = rules[0]
    co_handlers = tuple(rule.co_handlers.filter(is_active=True).order_by("area__code", "code"))
    return DispatchDecision(lead=rule.lead_unit, co_handlers=co_handlers, rule=rule)


def summon_candidates(area: Area) -> list[Unit]:
    """The departments a township may summon onto a case (街乡吹哨、部门报到): the active
    departments of the county (区/县) it belongs to, and the departments' offices stationed in the
    township itself (派出所, 市场监管所 …). `area` may be the township or a village or grid below it;
    for an area that is not inside a township the list is empty. County departments first, then by
    name."""
    path = area if isinstance(area, str) else area.path
    levels = dict(Area.objects.filter(path__in=ancestor_paths(path)).values_list("path", "level"))
    if AreaLevel.TOWNSHIP not in levels.values():
        return []
    wanted = [p for p, level in levels.items() if level in (AreaLevel.TOWNSHIP, AreaLevel.COUNTY)]
    units = Unit.objects.filter(
        is_active=True, kind=UnitKind.DEPARTMENT, area__path__in=wanted
    ).select_related("area")
    return sorted(units, key=lambda u: (len(u.area.path), u.name, u.code))
