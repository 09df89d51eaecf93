"""Urgency flags: messages that need attention now, each with the reason shown to the dispatcher.

Word rules are data (`UrgencyRule` rows, edited in the admin; the defaults come from
`data/urgency_rules.json` through a migration): a rule fires when one of its words occurs in the
normalised title + body and none of its `exclude` phrases does. The fourth flag is not a word rule:
the same reporter (phone number, else account) with `CIVICGRID_REPEAT_REPORTER_COUNT` or more earlier
messages within `CIVICGRID_REPEAT_REPORTER_DAYS` days. The reporter is compared through a keyed
digest (HMAC of SECRET_KEY), never the phone itself.

The compiled rules are cached per process and re-read when a rule changes (the newest `updated_at`
is checked at most every `RULES_TTL` seconds), so intake does not query the rules every time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DEFAULT_RULES_FILE = Path(__file__).resolve().parent / "data" / "urgency_rules.json"
RULES_TTL = 30.0


@dataclass(frozen=True)
class CompiledRule:
    kind: str
    name: str
    reason: str
    words: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    kind: str
    reason: str
    matched: tuple[str, ...]


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def default_rules() -> list[dict]:
    return json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))


def compile_rules(rows) -> list[CompiledRule]:
    """Rule dicts or `UrgencyRule` rows → compiled rules (empty words dropped)."""
    compiled = []
    for row in rows:
        get = row.get if isinstance(row, dict) else lambda key, row=row: getattr(row, key)
        words = tuple(w for w in (normalise(str(x)) for x in get("words") or ()) if w)
        exclude = tuple(w for w in (normalise(str(x)) for x in get("exclude") or ()) if w)
        if words:
            compiled.append(CompiledRule(get("kind"), get("name"), get("reason"), words, exclude))
    return compiled


def match(rules: list[CompiledRule], title: str, body: str) -> list[Hit]:
    """The rules that fire on a message, one hit per kind (the first rule of a kind that fires)."""
    text = normalise(title) + "\n" + normalise(body)
    hits: dict[str, Hit] = {}
    for rule in rules:
        if rule.kind in hits:
            continue
        found = tuple(w for w in rule.words if w in text)
        if not found:
            continue
        # An exclude phrase masks only the words it contains ("禁止聚集" hides "聚集" there).
        masked = text
        for phrase in rule.exclude:
            masked = masked.replace(phrase, "\x00")
        found = tuple(w for w in found if w in masked)
        if found:
            hits[rule.kind] = Hit(rule.kind, rule.reason, found)
    return list(hits.values())


class _RuleCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.stamp = None
        self.checked = 0.0
        self.rules: list[CompiledRule] = []

    def get(self) -> list[CompiledRule]:
        from django.db.models import Count, Max

        from .models import UrgencyRule

        now = time.monotonic()
        with self.lock:
            if self.stamp is not None and now - self.checked < RULES_TTL:
                return self.rules
            state = UrgencyRule.objects.aggregate(latest=Max("updated_at"), n=Count("id"))
            stamp = (state["latest"], state["n"])
            if stamp != self.stamp:
                self.rules = compile_rules(UrgencyRule.objects.filter(is_active=True))
                self.stamp = stamp
            self.checked = now
            return self.rules

    def clear(self):
        with self.lock:
            self.stamp = None


rule_cache = _RuleCache()


def reporter_digest(phone: str = "", account_id=None) -> str:
    """A keyed digest of the reporter: digits of the phone, else the account id; "" for neither."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    key = f"phone:{digits[-11:]}" if len(digits) >= 7 else (f"user:{account_id}" if account_id else "")
    if not key:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def repeat_window() -> tuple[int, int]:
    days = int(getattr(settings, "CIVICGRID_REPEAT_REPORTER_DAYS", 30))
    count = int(getattr(settings, "CIVICGRID_REPEAT_REPORTER_COUNT", 3))
    return max(days, 1), max(count, 1)
