"""The CIVICGRID_OPEN311 setting (a dict; every key optional)."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # The jurisdiction_id this endpoint answers to besides the area codes of its own tree (the spec
    # suggests the city's web domain, e.g. "linjiang.gov.cn"). Empty: area codes only.
    "JURISDICTION_ID": "",
    # Discovery's contact and key_service texts.
    "CONTACT": "",
    "KEY_SERVICE": "",
    # True: services are listed as type "batch" and POST answers a token (resolved at GET tokens/…)
    # instead of the service_request_id.
    "BATCH": False,
    # Calls per minute for a client created without its own figure.
    "REQUESTS_PER_MINUTE": 60,
    # How long the call log is kept (等保 2.0: at least six months).
    "CALL_LOG_DAYS": 180,
}


def open311_setting(name: str):
    return getattr(settings, "CIVICGRID_OPEN311", {}).get(name, DEFAULTS[name])
