"""The built-in role catalogue (data, kept in step with the code after every migrate).

Each role lists Django permission strings. Administrators may add their own roles in the admin;
built-in roles are re-synced and should be copied rather than edited.
Later case kinds extend these lists with their own permissions.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Apps whose permissions are the governance work itself. An administrator may grant roles made of
# them without holding them (三员分立: administrators manage accounts, they do not handle cases); every
# other permission (audit, personal data, accounts, places) can only be granted by someone who holds
# it. A new case-kind app adds its label here.
DELEGABLE_APPS = frozenset({"cases", "events"})

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
# The case kernel (civicgrid.cases): view and report, the workflow steps, and the oversight actions.
_CASE_VIEW = ["cases.view_case"]
_CASE_CENTRE = [
    "cases.view_case",
    "cases.report_case",
    "cases.register_case",
    "cases.dispatch_case",
    "cases.verify_case",
    "cases.close_case",
    "cases.callback_case",
    "cases.urge_case",
    "cases.escalate_case",
    "cases.approve_extension",
]

SYSTEM_ROLES: dict[str, dict] = {
    "grid_worker": {
        "name": _("网格员"),
        "description": _("在本网格巡查、采集、上报和就地处置"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_CASE_VIEW,
            "cases.report_case",
            "cases.handle_case",
            "cases.escalate_case",
        ],
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
            *_CASE_CENTRE,
            "cases.handle_case",
        ],
    },
    "county_dispatcher": {
        "name": _("县（区）指挥中心调度员"),
        "description": _("登记、分拨、督办本县（区）事项"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            *_REVEAL,
            "areas.export_area",
            *_CASE_CENTRE,
            "cases.supervise_case",
        ],
    },
    "city_dispatcher": {
        "name": _("市指挥中心调度员"),
        "description": _("登记、分拨、督办全市事项"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            *_REVEAL,
            "areas.export_area",
            *_CASE_CENTRE,
            "cases.supervise_case",
        ],
    },
    "department_handler": {
        "name": _("部门承办人员"),
        "description": _("签收、处置、反馈派给本单位的事项"),
        # Handlers also see and act on cases assigned to their unit outside their area
        # (assignment-based access, cases.models.CaseQuerySet.restrict).
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_CASE_VIEW, "cases.handle_case"],
    },
    "mediator": {
        "name": _("调解员"),
        "description": _("受理和调解矛盾纠纷"),
        "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_REVEAL, *_CASE_VIEW, "cases.report_case"],
    },
    "leader": {
        "name": _("领导"),
        "description": _("查看辖区态势、统计与考核"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            "areas.export_area",
            *_CASE_VIEW,
            "cases.urge_case",
            "cases.supervise_case",
        ],
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
            "notifications.view_outboundmessage",
            *_CASE_VIEW,
        ],
    },
    # The service account behind an Open311 client's api_key (civicgrid.open311): it reports events
    # and reads them within the area its key is bound to, nothing else; it cannot log in.
    "open311_client": {
        "name": _("Open311 接入客户端"),
        "description": _("通过 Open311 接口上报和查询本区域的事件（接口专用账号，不能登录）"),
        "permissions": [*_CASE_VIEW, "cases.report_case"],
    },
    "administrator": {
        "name": _("系统管理员"),
        "description": _("维护区划、网格、单位、用户与授权（不含审计与个人信息查看，三员分立）"),
        "permissions": [
            *_VIEW_PLACES,
            *_VIEW_ORG,
            *_VIEW_PEOPLE,
            *_EDIT_PLACES,
            *_EDIT_PEOPLE,
            # Delivery status of SMS/e-mail (addresses masked): administrators fix failed deliveries.
            "notifications.view_outboundmessage",
            "notifications.change_outboundmessage",
        ],
    },
}


# The event taxonomy and the dispatch catalogue (civicgrid.events). Every staff role reads the
# taxonomy; the dispatch catalogue (派单目录) is kept by the dispatchers and the administrator, each over
# their own area; the city-wide taxonomy is changed by an administrator holding the whole city.
_EVENTS_TAXONOMY_PERMISSIONS = {
    "grid_worker": ["events.view_category"],
    "township_officer": ["events.view_category", "events.view_dispatchrule"],
    "county_dispatcher": [
        "events.view_category",
        *(f"events.{v}_dispatchrule" for v in ("view", "add", "change", "delete")),
    ],
    "city_dispatcher": [
        "events.view_category",
        *(f"events.{v}_dispatchrule" for v in ("view", "add", "change", "delete")),
    ],
    "department_handler": ["events.view_category", "events.view_dispatchrule"],
    "mediator": ["events.view_category"],
    "leader": ["events.view_category", "events.view_dispatchrule"],
    "auditor": ["events.view_category", "events.view_dispatchrule"],
    "open311_client": ["events.view_category"],
    "administrator": [
        *(f"events.{v}_category" for v in ("view", "add", "change")),
        *(f"events.{v}_dispatchrule" for v in ("view", "add", "change", "delete")),
    ],
}
for _code, _perms in _EVENTS_TAXONOMY_PERMISSIONS.items():
    SYSTEM_ROLES[_code]["permissions"] = [*SYSTEM_ROLES[_code]["permissions"], *_perms]


# Assessment (civicgrid.assessment): leaders, dispatchers, township officers and auditors read the
# figures within their scope; township officers and dispatchers ask to exclude a case, dispatchers
# and leaders approve; administrators edit the (city-wide) scheme. Assessment is governance work, so
# an administrator may grant roles holding these permissions.
DELEGABLE_APPS = DELEGABLE_APPS | {"assessment"}
_ASSESSMENT_READ = [
    "assessment.view_figures",
    "assessment.view_assessmentscheme",
    "assessment.view_exclusion",
]
_ASSESSMENT_PERMISSIONS = {
    "township_officer": [*_ASSESSMENT_READ, "assessment.add_exclusion"],
    "county_dispatcher": [*_ASSESSMENT_READ, "assessment.add_exclusion", "assessment.approve_exclusion"],
    "city_dispatcher": [*_ASSESSMENT_READ, "assessment.add_exclusion", "assessment.approve_exclusion"],
    "leader": [*_ASSESSMENT_READ, "assessment.approve_exclusion"],
    "auditor": [*_ASSESSMENT_READ],
    "administrator": [f"assessment.{v}_assessmentscheme" for v in ("view", "add", "change")],
}
for _code, _perms in _ASSESSMENT_PERMISSIONS.items():
    SYSTEM_ROLES[_code]["permissions"] = [*SYSTEM_ROLES[_code]["permissions"], *_perms]


# The text layer (civicgrid.textintel): the administrator trains and chooses the classifier and
# edits the urgency rules (city-wide data, checked over every top-level area by the services).
SYSTEM_ROLES["administrator"]["permissions"] = [
    *SYSTEM_ROLES["administrator"]["permissions"],
    *(f"textintel.{v}_textmodel" for v in ("view", "add", "change", "activate")),
    *(f"textintel.{v}_urgencyrule" for v in ("view", "add", "change", "delete")),
]


# Disputes (civicgrid.disputes, 矛盾纠纷多元化解): owned by that app; each role's extra permissions.
DELEGABLE_APPS = DELEGABLE_APPS | {"disputes"}
_DISPUTE_READ = ["disputes.view_mediationorganisation", "disputes.view_riskscheme"]
_DISPUTES_PERMISSIONS: dict[str, list[str]] = {
    # 网格员: registers disputes found in screening (排查) and makes follow-up visits (回访).
    "grid_worker": [*_DISPUTE_READ, "disputes.report_dispute", "disputes.follow_up_dispute"],
    # 乡镇综治: registers and accepts disputes, assigns mediation, may mediate (as an assigned
    # mediator), grades risk, closes; keeps the township's mediation organisations.
    "township_officer": [
        *_DISPUTE_READ,
        "disputes.report_dispute",
        "disputes.mediate_dispute",
        "disputes.grade_dispute_risk",
        "disputes.follow_up_dispute",
        "disputes.close_dispute",
        "disputes.view_dispute_figures",
        "disputes.add_mediationorganisation",
        "disputes.change_mediationorganisation",
    ],
    "county_dispatcher": [
        *_DISPUTE_READ,
        "disputes.report_dispute",
        "disputes.grade_dispute_risk",
        "disputes.close_dispute",
        "disputes.view_dispute_figures",
        "disputes.add_mediationorganisation",
        "disputes.change_mediationorganisation",
    ],
    "city_dispatcher": [
        *_DISPUTE_READ,
        "disputes.report_dispute",
        "disputes.grade_dispute_risk",
        "disputes.close_dispute",
        "disputes.view_dispute_figures",
        "disputes.add_mediationorganisation",
        "disputes.change_mediationorganisation",
    ],
    # 调解员: registers walk-ins, mediates the disputes assigned to them, visits, closes.
    "mediator": [
        *_DISPUTE_READ,
        "disputes.report_dispute",
        "disputes.mediate_dispute",
        "disputes.follow_up_dispute",
        "disputes.close_dispute",
    ],
    # 领导: red disputes, grading and leading them (包案), the figures.
    "leader": [*_DISPUTE_READ, "disputes.grade_dispute_risk", "disputes.view_dispute_figures"],
    "auditor": [*_DISPUTE_READ, "disputes.view_dispute_figures"],
    # 管理员: the mediation organisations and the risk scheme (city-wide data).
    "administrator": [
        *(f"disputes.{v}_mediationorganisation" for v in ("view", "add", "change")),
        *(f"disputes.{v}_riskscheme" for v in ("view", "add", "change")),
    ],
}
for _code, _perms in _DISPUTES_PERMISSIONS.items():
    SYSTEM_ROLES[_code]["permissions"] = [*SYSTEM_ROLES[_code]["permissions"], *_perms]


# Petitions (civicgrid.petitions, 信访): the petition office's staff, and the discipline-inspection
# staff (纪检监察), the only ones who see 检举控告 (cases marked confidential, see cases.models).
DELEGABLE_APPS = DELEGABLE_APPS | {"petitions"}
SYSTEM_ROLES["petition_officer"] = {
    "name": _("信访工作人员"),
    "description": _("登记、转送、交办、督办信访事项"),
    "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_REVEAL, *_CASE_VIEW, "cases.report_case"],
}
SYSTEM_ROLES["discipline_inspector"] = {
    "name": _("纪检监察人员"),
    "description": _("受理和办理检举控告类信访事项（仅本角色可见）"),
    "permissions": [*_VIEW_PLACES, *_VIEW_ORG, *_REVEAL, *_CASE_VIEW, "cases.view_confidential_case"],
}
_PETITION_STAFF = [
    "petitions.register_petition",
    "petitions.transfer_petition",
    "petitions.review_petition",
    "petitions.view_petition_figures",
]
# The petition office registers, transfers, follows (urge) and reviews; the receiving organs act
# through cases.handle_case on their unit's assignment; their extension requests (Art.34) are
# approved as for events, by the centres (cases.approve_extension; kernel permissions are not per
# kind, so the petition office does not get it: it would approve events' extensions too).
# 检举控告 are confidential: the discipline-inspection staff do all of it themselves, extensions
# included (a confidential case is never reached through an assignment). Township officers
# register and transfer at their level; the centres register walk-ins; leaders read the figures.
_PETITIONS_PERMISSIONS: dict[str, list[str]] = {
    "petition_officer": [*_PETITION_STAFF, "cases.urge_case"],
    "discipline_inspector": [
        *_PETITION_STAFF,
        "cases.report_case",
        "cases.handle_case",
        "cases.urge_case",
        "cases.approve_extension",
    ],
    "township_officer": ["petitions.register_petition", "petitions.transfer_petition"],
    # The county and city centres (综治中心 / 矛调中心) register walk-in petitions at the desk.
    "county_dispatcher": ["petitions.register_petition", "petitions.view_petition_figures"],
    "city_dispatcher": ["petitions.register_petition", "petitions.view_petition_figures"],
    "leader": ["petitions.view_petition_figures"],
}
for _code, _perms in _PETITIONS_PERMISSIONS.items():
    SYSTEM_ROLES[_code]["permissions"] = [*SYSTEM_ROLES[_code]["permissions"], *_perms]


# The one-stop centre (civicgrid.desk, 综治中心 / 矛调中心): the centre's staff register walk-ins once
# and route them to mediation, a petition or event handling; leaders and auditors read the desk.
DELEGABLE_APPS = DELEGABLE_APPS | {"desk"}
_DESK_STAFF = ["desk.view_visit", "desk.add_visit", "desk.route_visit"]
_DESK_PERMISSIONS = {
    "township_officer": _DESK_STAFF,
    "county_dispatcher": _DESK_STAFF,
    "city_dispatcher": _DESK_STAFF,
    "petition_officer": _DESK_STAFF,
    "mediator": _DESK_STAFF,
    "leader": ["desk.view_visit"],
    "auditor": ["desk.view_visit"],
}
for _code, _perms in _DESK_PERMISSIONS.items():
    SYSTEM_ROLES[_code]["permissions"] = [*SYSTEM_ROLES[_code]["permissions"], *_perms]


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
    from django.apps import apps

    # Django sends post_migrate only for apps with models; act on the last of them.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender.label != with_models[-1].label:
        return  # permissions of later apps do not exist yet
    missing = sync_system_roles()
    if missing:
        logger.warning("Built-in roles name permissions that do not exist: %s", ", ".join(missing))
