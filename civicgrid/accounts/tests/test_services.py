"""accounts.services: validation with field errors, audit rows, no half-written records, grants
without privilege escalation, tokens stored as digests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civicgrid.accounts import services
from civicgrid.accounts.models import ApiToken, RoleAssignment, Unit, User
from civicgrid.accounts.tokens import token_digest
from civicgrid.audit.models import AccessLog, ObjectChange
from civicgrid.core.errors import ServiceError
from tests.world import NAMES

pytestmark = pytest.mark.django_db


def _error(call, *args, **kwargs) -> tuple[str, str | None, str]:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value.code, info.value.field, str(info.value.message)


def test_create_unit_validates_and_audits(world):
    admin = world.user("admin")
    area = world.area(NAMES.township_a2)
    assert _error(services.do_create_unit, actor=admin, code="", name="x", area=area) == (
        "required",
        "code",
        "单位代码不能为空。",
    )
    assert _error(services.do_create_unit, actor=admin, code="donghu-office", name="x", area=area) == (
        "unit_code_taken",
        "code",
        "单位代码“donghu-office”已被使用。",
    )
    assert _error(services.do_create_unit, actor=admin, code="a b", name="x", area=area)[:2] == (
        "invalid",
        "code",
    )
    assert _error(services.do_create_unit, actor=admin, code="xh", name="x", area=area, phone="abc")[:2] == (
        "phone_invalid",
        "phone",
    )
    assert ObjectChange.objects.count() == 0
    unit = services.do_create_unit(
        actor=admin, code="xihu-office", name="西湖街道办事处", area=area, phone="0571-88886666"
    )
    change = ObjectChange.objects.get()
    assert (change.action, change.object_type, change.object_id, change.actor_username) == (
        "create",
        "accounts.unit",
        str(unit.pk),
        "admin",
    )
    assert change.after["code"] == "xihu-office" and change.after["area_id"] == area.pk


def test_update_unit_records_only_the_diff_and_refuses_the_code(world):
    unit = world.units["chengguan"]
    assert _error(services.do_update_unit, unit, actor=None, code="x") == (
        "unknown_field",
        "code",
        "字段“code”不能修改。",
    )
    services.do_update_unit(unit, actor=world.user("admin"), name="江东区综合行政执法局", phone="")
    change = ObjectChange.objects.get()
    assert change.before == {"name": "江东区城市管理局"}
    assert change.after == {"name": "江东区综合行政执法局"}
    services.do_deactivate_unit(unit, actor=None)
    assert Unit.objects.get(pk=unit.pk).is_active is False


def test_create_user_hashes_and_validates_the_password(world):
    code, field, _msg = _error(services.do_create_user, actor=None, username="weak", password="short")
    assert (code, field) == ("password_invalid", "password")
    assert _error(services.do_create_user, actor=None, username="TOWNSHIP", password="Lin-Jiang-2026!") == (
        "username_taken",
        "username",
        "用户名“TOWNSHIP”已被使用。",
    )
    assert _error(services.do_create_user, actor=None, username="有 空格")[:2] == (
        "username_invalid",
        "username",
    )
    assert _error(services.do_create_user, actor=None, username="x1", id_card="11010119900101123")[:2] == (
        "id_card_invalid",
        "id_card",
    )
    assert not User.objects.filter(username__in=["weak", "x1"]).exists()
    user = services.do_create_user(
        actor=None,
        username="newbie",
        password="Lin-Jiang-2026!",
        id_card="110101199001011237",
        area=world.area(NAMES.county_a),
    )
    assert user.check_password("Lin-Jiang-2026!")
    assert user.id_card == "110101199001011237"
    machine = services.do_create_user(actor=None, username="machine")
    assert machine.has_usable_password() is False


def test_password_change_is_audited_without_the_hash(world):
    user = world.user("handler")
    services.do_update_user(user, actor=world.user("admin"), password="Another-Pass-2026")
    user.refresh_from_db()
    assert user.check_password("Another-Pass-2026")
    change = ObjectChange.objects.get()
    assert change.before == {"password": "***"} and change.after == {"password": "（已修改）"}


def test_deactivate_user_refuses_self_and_revokes_tokens(world):
    admin = world.user("admin")
    assert _error(services.do_deactivate_user, admin, actor=admin) == (
        "cannot_deactivate_self",
        "is_active",
        "不能停用自己的账号。",
    )
    target = world.user("handler")
    token, _raw = services.do_create_api_token(actor=admin, user=target, name="sync")
    services.do_deactivate_user(target, actor=admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert User.objects.get(pk=target.pk).is_active is False


def test_reveal_logs_once_and_refuses_without_the_permission(world):
    target = world.user("gridworker")
    values = services.reveal_personal_data(target, actor=world.user("township"), purpose="回访")
    assert values == {"display_name": "王网格", "phone": "13800001111", "id_card": "33010119900101123X"}
    assert AccessLog.objects.count() == 1
    assert (
        _error(services.reveal_personal_data, target, actor=world.user("admin"))[0] == "reveal_not_permitted"
    )
    assert (
        _error(services.reveal_personal_data, target, actor=world.user("outsider"))[0]
        == "reveal_not_permitted"
    )
    assert AccessLog.objects.count() == 1


def test_grant_rules(world):
    county_admin = world.user("county_admin")
    handler = world.user("handler")
    roles = world.roles
    # The role's permissions must all be held by the grantor where the grant applies.
    code, field, _ = _error(
        services.do_grant_role,
        actor=county_admin,
        user=handler,
        role=roles["auditor"],
        area=world.area(NAMES.county_a),
    )
    assert (code, field) == ("privilege_escalation", "role")
    with pytest.raises(ServiceError) as info:
        services.do_grant_role(
            actor=county_admin, user=handler, role=roles["mediator"], area=world.area(NAMES.county_a)
        )
    assert info.value.params["missing"] == ["audit.reveal_personal_data"]
    assert _error(
        services.do_grant_role,
        actor=county_admin,
        user=handler,
        role=roles["leader"],
        area=world.area(NAMES.city),
    )[:2] == ("grant_out_of_scope", "area")
    # A township officer holds no add_roleassignment at all.
    assert _error(
        services.do_grant_role,
        actor=world.user("township"),
        user=handler,
        role=roles["grid_worker"],
        area=world.area(NAMES.village_a1a),
    )[:2] == ("grant_out_of_scope", "area")
    grid = world.grids[NAMES.grid_a1b_1]
    assert _error(
        services.do_grant_role,
        actor=None,
        user=handler,
        role=roles["grid_worker"],
        area=world.area(NAMES.village_a1a),
        grid=grid,
    )[:2] == ("grid_area_mismatch", "grid")
    assert RoleAssignment.objects.count() == 13
    granted = services.do_grant_role(actor=county_admin, user=handler, role=roles["grid_worker"], grid=grid)
    assert (granted.area_id, granted.scope_path) == (grid.village_id, grid.path)
    assert _error(
        services.do_grant_role, actor=county_admin, user=handler, role=roles["grid_worker"], grid=grid
    )[0] == ("already_granted")
    handler = User.objects.get(pk=handler.pk)
    assert handler.get_scope_paths("areas.view_grid") == sorted(["33/3380/338001/", grid.path])


def test_revoke_needs_scope(world):
    assignment = RoleAssignment.objects.get(user=world.user("outsider"))
    assert _error(services.do_revoke_role, assignment, actor=world.user("county_admin"))[:2] == (
        "revoke_out_of_scope",
        "area",
    )
    services.do_revoke_role(assignment, actor=world.user("admin"))
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert ObjectChange.objects.get().before["user_id"] == world.user("outsider").pk


def test_api_token_stores_only_a_digest(world):
    admin = world.user("admin")
    assert _error(services.do_create_api_token, actor=admin, user=admin, name=" ")[:2] == ("required", "name")
    assert _error(
        services.do_create_api_token,
        actor=admin,
        user=admin,
        name="x",
        expires_at=timezone.now() - dt.timedelta(1),
    )[:2] == ("token_expiry_past", "expires_at")
    token, raw = services.do_create_api_token(actor=admin, user=admin, name="12345 热线")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == token_digest(raw, stored.hash_alg) and raw not in stored.digest
    change = ObjectChange.objects.get()
    assert "digest" not in change.after and change.after["prefix"] == token.prefix
    services.do_revoke_api_token(token, actor=admin)
    assert _error(services.do_revoke_api_token, token, actor=admin)[0] == "token_already_revoked"


def test_no_borrowing_a_more_powerful_account(world):
    # The county administrator may not read personal data; the county dispatcher may. Setting the
    # dispatcher's password or issuing a token for them would hand over that power.
    county_admin = world.user("county_admin")
    dispatcher = world.user("county")
    assert _error(services.do_update_user, dispatcher, actor=county_admin, password="Borrowed-Pass-2026")[
        :2
    ] == ("privilege_escalation", "password")
    assert _error(services.do_create_api_token, actor=county_admin, user=dispatcher, name="x")[:2] == (
        "privilege_escalation",
        "user",
    )
    assert ApiToken.objects.count() == 0 and ObjectChange.objects.count() == 0
    # A department handler holds nothing the county administrator lacks: allowed.
    token, _raw = services.do_create_api_token(actor=county_admin, user=world.user("handler"), name="sync")
    assert token.user == world.user("handler")
    services.do_update_user(world.user("handler"), actor=county_admin, password="Handler-Pass-2026")


def test_administrators_grant_operational_roles_they_do_not_hold(world):
    """三员分立: the administrator does not handle cases but assigns the people who do."""
    county_admin = world.user("county_admin")
    handler_role = world.roles["department_handler"]
    assert any(p.startswith("cases.") for p in handler_role.permission_names())
    assert not any(p.startswith("cases.") for p in world.roles["administrator"].permission_names())
    assignment = services.do_grant_role(
        actor=county_admin, user=world.user("mediator"), role=handler_role, area=world.area(NAMES.county_a)
    )
    assert assignment.scope_path == world.area(NAMES.county_a).path


def test_nobody_grants_themselves_a_role(world):
    before = RoleAssignment.objects.count()
    code, field, _ = _error(
        services.do_grant_role,
        actor=world.user("admin"),
        user=world.user("admin"),
        role=world.roles["department_handler"],
        area=world.area(NAMES.city),
    )
    assert (code, field) == ("privilege_escalation", "user")
    assert RoleAssignment.objects.count() == before
