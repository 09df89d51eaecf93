"""The built-in role catalogue (data, kept in step with the code after every migrate).

Each role lists Django permission strings. Administrators may add their own roles in the admin;
built-in roles are re-synced and should be copied rather than edited.
Later case kinds extend these lists with their own permissions.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

_VIEW_PLACES = ["areas.view_area", "areas.view_grid", "areas.view_gridlayer", "areas.view_layercell"]
_VIEW_ORG = ["accounts.view_unit", "accounts.view_role"]
_VIEW_PEOPLE = ["accounts.view_user", "accounts.view_roleassignment"]
_REVEAL = ["audit.reveal_personal_data"]
_EDIT_PLACES = [
    f"areas.{verb}_{model}"
    for model in ("area", "grid", "gridlayer", "layercell")
    for verb in ("add", "change", "delete")
] + ["areas.import_area", "areas.export_area"]
_EDIT_PEOPLE = [
    f"accounts.{verb}_{model}"
    for model in ("unit", "user", "roleassignment", "apitoken")
    for verb in ("add", "change", "delete")
] + ["accounts.view_apitoken"]

SYSTEM_ROLES: dict[str, dict] = {
    "grid_worker": {
        "name": _("网格员"),
        "description": _("在本网格巡查、采集、上报和就地处置"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG],
    },
    "township_officer": {
        "name": _("乡镇（街道）综治工作人员"),
        "description": _("管理本乡镇（街道）的网格与网格员，受理、分拨本级事项"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            *_REVEAL,
            "areas.change_grid",
            "areas.export_area",
        ],
    },
    "county_dispatcher": {
        "name": _("县（区）指挥中心调度员"),
        "description": _("登记、分拨、督办本县（区）事项"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_VIEW_PEOPLE, *_REVEAL, "areas.export_area"],
    },
    "city_dispatcher": {
        "name": _("市指挥中心调度员"),
        "description": _("登记、分拨、督办全市事项"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_VIEW_PEOPLE, *_REVEAL, "areas.export_area"],
    },
    "department_handler": {
        "name": _("部门承办人员"),
        "description": _("签收、处置、反馈派给本单位的事项"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG],
    },
    "mediator": {
        "name": _("调解员"),
        "description": _("受理和调解矛盾纠纷"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_REVEAL],
    },
    "leader": {
        "name": _("领导"),
        "description": _("查看辖区态势、统计与考核"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_VIEW_PEOPLE, "areas.export_area"],
    },
    "auditor": {
        "name": _("审计员"),
        "description": _("查看操作日志和个人信息访问记录，校验审计链"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            "audit.view_objectchange",
            "audit.view_accesslog",
            "audit.verify_audit",
        ],
    },
    "administrator": {
        "name": _("系统管理员"),
        "description": _("维护区划、网格、单位、用户与授权（不含审计与个人信息查看，三员分立）"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_VIEW_PEOPLE, *_EDIT_PLACES, *_EDIT_PEOPLE],
    },
}


def resolve_permissions(names):
    from django.contrib.auth.models import Permission

    wanted = set(names)
    found = {}
    for perm in Permission.objects.select_related("content_type").all():
        key = f"{perm.content_type.app_label}.{perm.codename}"
        if key in wanted:
            found[key] = perm
    missing = wanted - set(found)
    return found, missing


def sync_system_roles() -> list[str]:
    """Create or update the built-in roles; returns the permission names that do not exist yet."""
    from django.db import transaction

    from .models import Role

    all_missing: set[str] = set()
    with transaction.atomic():
        for code, spec in SYSTEM_ROLES.items():
            role, _created = Role.objects.update_or_create(
                code=code,
                defaults={
                    "name": str(spec["name"]),
                    "description": str(spec["description"]),
                    "is_system": True,
                },
            )
            found, missing = resolve_permissions(spec["permissions"])
            all_missing |= missing
            role.permissions.set(found.values())
    return sorted(all_missing)


def sync_system_roles_after_migrate(sender, **kwargs):
    missing = sync_system_roles()
    if missing:
        logger.warning("Built-in roles name permissions that do not exist: %s", ", ".join(missing))
