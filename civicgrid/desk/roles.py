"""The desk's permissions for the built-in roles (to be merged into accounts/roles.py by its
owner as a `_DESK_PERMISSIONS` block, with "desk" added to DELEGABLE_APPS).

Until then `grant_to_system_roles()` adds them to the existing Role rows (tests, demo data); once
roles.py carries them it changes nothing.
"""

from __future__ import annotations

_DESK_ALL = ["desk.view_visit", "desk.add_visit", "desk.route_visit"]

DESK_PERMISSIONS: dict[str, list[str]] = {
    "township_officer": _DESK_ALL,  # the township 综治中心 desk
    "county_dispatcher": _DESK_ALL,  # the county 矛调中心 desk
    "city_dispatcher": _DESK_ALL,
    "petition_officer": _DESK_ALL,  # petition office staff sitting at the centre
    "mediator": _DESK_ALL,  # mediators sitting at the centre
    "leader": ["desk.view_visit"],
    "auditor": ["desk.view_visit"],
}


def grant_to_system_roles() -> None:
    from civicgrid.accounts.models import Role
    from civicgrid.accounts.roles import resolve_permissions

    for code, names in DESK_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            found, _missing = resolve_permissions(names)
            role.permissions.add(*found.values())
