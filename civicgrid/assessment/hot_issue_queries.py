"""The hot-issue board's data (热点问题, issue 5 §4): the events of a period within the reader's
scope (and area, category) clustered and ranked by `textintel.hot_issues`, cached.

Each event is one message: title, the head of its description, its area's name as the place when
the text names none, its opening time, its reporter (the phone given at intake, else the account
that reported it, else the event itself: never shown, only compared) and its +1s (merged duplicates,
附议) as likes. Events merged into another are left out: they count as the original's +1s.

Scope: the events come from `Case.objects.restrict(user, VIEW)`, so a township officer's board is
computed from its township's events only; the cache key holds the reader's scope paths (not the
user), so two leaders of the same city share one computation. A cluster is named in URLs by its
`key` (a digest of its case ids): a key that is not on the reader's own board is unknown (404).

Cost: at most MAX_MESSAGES events (the most recent) are clustered; the result is cached for
CIVICGRID_HOT_ISSUES_CACHE_SECONDS (default 600) and keyed also by the count and the latest id of
the events it was computed from, so a new event in the period is seen at the next request after it
(one aggregate query per view, the clustering only when something changed).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Max

from civicgrid.cases.models import Case
from civicgrid.core.scope import ALL, scope_paths
from civicgrid.textintel.hot_issues import Message, hot_issues

from .density import category_family
from .queries import VIEW, Period

MAX_MESSAGES = 5000
TOP = 20
CACHE_VERSION = 1


def cache_seconds() -> int:
    return int(getattr(settings, "CIVICGRID_HOT_ISSUES_CACHE_SECONDS", 600))


def events_in(user, period: Period, area=None, category=None):
    """The events the board is computed from: in reach, opened in the period, not merged away."""
    qs = Case.objects.restrict(user, VIEW).filter(
        kind="event", opened_at__gte=period.start, opened_at__lt=period.end, duplicate_of__isnull=True
    )
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if category is not None:
        qs = qs.filter(event__category__in=category_family(category))
    return qs


def cluster_key(case_ids) -> str:
    digest = hashlib.blake2b(",".join(str(i) for i in sorted(case_ids)).encode(), digest_size=8)
    return digest.hexdigest()


def _cache_key(user, period: Period, area, category, signature) -> str:
    paths = scope_paths(user, VIEW)
    scope = "ALL" if paths is ALL else "|".join(sorted(paths))
    raw = "\x1f".join(
        [
            str(CACHE_VERSION),
            scope,
            period.start.isoformat(),
            period.end.isoformat(),
            str(area.pk if area is not None else ""),
            str(category.pk if category is not None else ""),
            str(signature),
        ]
    )
    return "hot-issues:" + hashlib.sha256(raw.encode()).hexdigest()


def board(user, period: Period, area=None, category=None) -> list[dict]:
    """The ranked clusters (at most TOP) of the reader's events in the period, as plain dicts:
    key, rank, heat, name, place, terms, start, end, messages, reporters, likes, case_ids."""
    qs = events_in(user, period, area, category)
    signature = qs.order_by().aggregate(n=Count("id"), last=Max("id"))
    key = _cache_key(user, period, area, category, (signature["n"], signature["last"]))
    cache = caches["default"]
    found = cache.get(key)
    if found is None:
        found = compute(qs, period)
        cache.set(key, found, cache_seconds())
    return found


def compute(qs, period: Period) -> list[dict]:
    rows = qs.order_by("-opened_at", "-id").values_list(
        "id",
        "title",
        "description",
        "area__name",
        "opened_at",
        "event__reporter_phone",
        "created_by_id",
        "plus_ones",
    )[:MAX_MESSAGES]
    messages = [
        Message(
            id=pk,
            title=title or "",
            body=(description or "")[:400],
            at=opened_at,
            reporter=("phone", phone) if phone else (("user", creator) if creator else ("case", pk)),
            likes=plus_ones or 0,
            place=area_name or "",
        )
        for pk, title, description, area_name, opened_at, phone, creator, plus_ones in rows
    ]
    issues = hot_issues(messages, period=(period.start, period.end), top=TOP)
    return [
        {
            "key": cluster_key(issue.message_ids),
            "rank": issue.rank,
            "heat": round(issue.heat, 2),
            "name": issue.name,
            "place": issue.place,
            "terms": issue.terms,
            "start": issue.start,
            "end": issue.end,
            "messages": issue.messages,
            "reporters": issue.reporters,
            "likes": issue.likes,
            "case_ids": list(issue.message_ids),
        }
        for issue in issues
    ]


def find_cluster(user, period: Period, key: str, area=None, category=None) -> dict | None:
    """The cluster `key` of the reader's own board, or None (unknown, or not the reader's)."""
    return next((c for c in board(user, period, area, category) if c["key"] == key), None)


def cluster_cases(user, cluster: dict):
    """The cluster's events the reader can see (re-checked: never trust the cache for scope)."""
    return (
        Case.objects.restrict(user, VIEW)
        .filter(pk__in=cluster["case_ids"])
        .select_related("area", "grid", "event")
        .order_by("opened_at", "id")
    )
