"""The only writers of units, users, role assignments and API tokens.

Every function here opens a transaction, validates, saves, writes the audit row (`audit.services`)
and raises `ServiceError(code, message, field=...)` for bad input, so views, the API, the admin and
management commands share one set of rules. Scope (may this actor touch this object at all?) is the
caller's job through `restrict`; the rules that are about *what* is granted (no privilege
escalation) live here, so no entry point can skip them. `actor=None` means the system (a management
command run by the operator), which is trusted.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.hashing import default_algorithm
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_access, record_change, snapshot
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import can_reveal
from civicgrid.core.scope import path_in_scope

from .choices import UnitKind
from .error_codes import AccountsErrorCode as Code
from .models import ApiToken, RoleAssignment, Unit, User
from .roles import DELEGABLE_APPS
from .tokens import generate_token, token_digest

_MOBILE = re.compile(r"^1\d{10}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_ID_CARD = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

# Audited fields of a token: never the digest of its secret.
_TOKEN_AUDIT_FIELDS = ("user", "name", "prefix", "hash_alg", "expires_at", "revoked_at")


# --- field checks ---------------------------------------------------------------------------------


def _required(value, field: str, label) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not value:
        raise ServiceError(Code.REQUIRED, _("%(label)s不能为空。") % {"label": label}, field=field)
    return value


def clean_phone(value: str | None, field: str = "phone") -> str:
    """A mobile (11 digits starting with 1) or a landline with area code (0571-12345678)."""
    value = (value or "").strip().replace(" ", "")
    if value and not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ServiceError(
            Code.PHONE_INVALID,
            _("电话号码“%(value)s”格式不正确，应为 11 位手机号或带区号的固话。") % {"value": value},
            field=field,
        )
    return value


def id_card_check_char(body: str) -> str:
    """The check character (GB 11643-1999) of the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def clean_id_card(value: str | None, field: str = "id_card") -> str:
    """An 18-character resident identity number whose check character is right (GB 11643-1999)."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if not _ID_CARD.match(value):
        raise ServiceError(Code.ID_CARD_INVALID, _("身份证号必须是 18 位（末位可为 X）。"), field=field)
    if value[17] != id_card_check_char(value[:17]):
        raise ServiceError(Code.ID_CARD_INVALID, _("身份证号校验位不正确。"), field=field)
    return value


_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def clean_org_code(value: str | None, field: str = "org_code") -> str:
    """An 18-character unified social credit code (统一社会信用代码) whose check character is right
    (GB 32100-2015)."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if len(value) != 18 or any(ch not in _ORG_CHARS for ch in value):
        raise ServiceError(
            Code.ORG_CODE_INVALID,
            _("统一社会信用代码必须是 18 位数字或大写字母（不含 I、O、Z、S、V）。"),
            field=field,
        )
    total = sum(_ORG_CHARS.index(ch) * w for ch, w in zip(value[:17], _ORG_WEIGHTS, strict=True))
    if value[17] != _ORG_CHARS[(31 - total % 31) % 31]:
        raise ServiceError(Code.ORG_CODE_INVALID, _("统一社会信用代码校验位不正确。"), field=field)
    return value


def _clean_email(value: str | None) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ServiceError(Code.EMAIL_INVALID, _("电子邮箱格式不正确。"), field="email") from exc
    return value


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ServiceError(Code.PASSWORD_INVALID, " ".join(exc.messages), field="password") from exc


def _check_may_act_as(actor, user: User, field: str) -> None:
    """Setting someone's password or issuing a token for them lets the actor act as them: allowed
    only where the actor could have granted every role that person holds (else an administrator
    without the reveal permission could borrow a dispatcher's account to read personal data)."""
    if actor is None or actor.pk == user.pk or actor.is_superuser:
        return
    for assignment in RoleAssignment.objects.filter(user=user).select_related("role"):
        if _missing_permissions(actor, assignment.role, assignment.scope_path):
            raise ServiceError(
                Code.PRIVILEGE_ESCALATION,
                _("此人拥有您不具备的权限（角色“%(role)s”），您不能代其设置密码或创建令牌。")
                % {"role": assignment.role.name},
                field=field,
            )


# --- units ----------------------------------------------------------------------------------------


def do_create_unit(
    *, actor, code: str, name: str, area, kind: str = UnitKind.DEPARTMENT, phone: str = ""
) -> Unit:
    """Create a department or office in `area`. The code is a unique slug (letters, digits, -, _)."""
    code = _required(code, "code", _("单位代码"))
    name = _required(name, "name", _("名称"))
    if not _SLUG.match(code):
        raise ServiceError(Code.INVALID, _("单位代码只能包含字母、数字、连字符和下划线。"), field="code")
    if kind not in UnitKind.values:
        raise ServiceError(Code.INVALID, _("单位类型“%(value)s”无效。") % {"value": kind}, field="kind")
    if area is None:
        raise ServiceError(Code.REQUIRED, _("所在区划不能为空。"), field="area")
    phone = clean_phone(phone)
    with transaction.atomic():
        if Unit.objects.filter(code=code).exists():
            raise ServiceError(
                Code.UNIT_CODE_TAKEN, _("单位代码“%(code)s”已被使用。") % {"code": code}, field="code"
            )
        unit = Unit.objects.create(code=code, name=name, kind=kind, area=area, phone=phone)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=unit, before=None, after=snapshot(unit)
        )
    return unit


_UNIT_FIELDS = {"name", "kind", "area", "phone", "is_active"}


def do_update_unit(unit: Unit, *, actor, **changes) -> Unit:
    """Change a unit's name, kind, area, phone or active flag (its code is permanent)."""
    for key in changes:
        if key not in _UNIT_FIELDS:
            raise ServiceError(Code.UNKNOWN_FIELD, _("字段“%(field)s”不能修改。") % {"field": key}, field=key)
    if "name" in changes:
        changes["name"] = _required(changes["name"], "name", _("名称"))
    if "kind" in changes and changes["kind"] not in UnitKind.values:
        raise ServiceError(
            Code.INVALID, _("单位类型“%(value)s”无效。") % {"value": changes["kind"]}, field="kind"
        )
    if "area" in changes and changes["area"] is None:
        raise ServiceError(Code.REQUIRED, _("所在区划不能为空。"), field="area")
    if "phone" in changes:
        changes["phone"] = clean_phone(changes["phone"])
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        before = snapshot(unit)
        for key, value in changes.items():
            setattr(unit, key, value)
        unit.save(update_fields=[*changes, "updated_at"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=unit, before=before, after=snapshot(unit)
        )
    return unit


def do_deactivate_unit(unit: Unit, *, actor) -> Unit:
    """Retire a unit. Units are never deleted: cases and users keep pointing at them."""
    return do_update_unit(unit, actor=actor, is_active=False)


# --- users ----------------------------------------------------------------------------------------


def do_create_user(
    *,
    actor,
    username: str,
    password: str | None = None,
    display_name: str = "",
    phone: str = "",
    id_card: str = "",
    email: str = "",
    unit: Unit | None = None,
    area=None,
) -> User:
    """Create a staff or machine account. The password is checked by the configured validators and
    hashed with Argon2; `password=None` creates an account that can only use API tokens."""
    username = _required(username, "username", _("用户名"))
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ServiceError(
            Code.USERNAME_INVALID, _("用户名只能包含字母、数字和 @/./+/-/_ 字符。"), field="username"
        ) from exc
    user = User(
        username=username,
        display_name=(display_name or "").strip(),
        phone=clean_phone(phone),
        id_card=clean_id_card(id_card),
        email=_clean_email(email),
        unit=unit,
        area=area,
    )
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ServiceError(
                Code.USERNAME_TAKEN, _("用户名“%(name)s”已被使用。") % {"name": username}, field="username"
            )
        user.save(force_insert=True)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=user, before=None, after=snapshot(user)
        )
    return user


_USER_FIELDS = {"display_name", "phone", "id_card", "email", "unit", "area", "password"}


def do_update_user(user: User, *, actor, **changes) -> User:
    """Change a user's profile, unit, area or password. Deactivation has its own service."""
    for key in changes:
        if key not in _USER_FIELDS:
            raise ServiceError(Code.UNKNOWN_FIELD, _("字段“%(field)s”不能修改。") % {"field": key}, field=key)
    if "phone" in changes:
        changes["phone"] = clean_phone(changes["phone"])
    if "id_card" in changes:
        changes["id_card"] = clean_id_card(changes["id_card"])
    if "email" in changes:
        changes["email"] = _clean_email(changes["email"])
    if "display_name" in changes:
        changes["display_name"] = (changes["display_name"] or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(user)
        password = changes.pop("password", None)
        for key, value in changes.items():
            setattr(user, key, value)
        fields = list(changes)
        if password is not None:
            _check_may_act_as(actor, user, "password")
            _check_password(password, user)
            user.set_password(password)
            fields.append("password")
        if fields:
            user.save(update_fields=fields)
        after = snapshot(user)
        record_change(actor=actor, action=ChangeAction.UPDATE, instance=user, before=before, after=after)
        if password is not None and before == after:
            # The audit snapshot never holds the hash, so record that the password changed.
            record_change(
                actor=actor,
                action=ChangeAction.UPDATE,
                instance=user,
                before={"password": "***"},
                after={"password": _("（已修改）")},
            )
    return user


def do_deactivate_user(user: User, *, actor) -> User:
    """Disable an account (accounts are never deleted: the history names them) and revoke its API
    tokens, so a departed member of staff loses every way in at once."""
    if actor is not None and actor.pk == user.pk:
        raise ServiceError(Code.CANNOT_DEACTIVATE_SELF, _("不能停用自己的账号。"), field="is_active")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=user, before=before, after=snapshot(user)
        )
        for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
            _revoke(token, actor=actor)
    return user


def reveal_personal_data(target: User, *, actor, purpose: str = "") -> dict:
    """The unmasked name, phone and ID-card number of `target`, for an actor who holds the reveal
    permission over the target's area; writes one AccessLog row. Raises ServiceError otherwise."""
    path = target.area.path if target.area_id else None
    if not can_reveal(actor, path):
        raise ServiceError(Code.REVEAL_NOT_PERMITTED, _("您无权查看此人未脱敏的个人信息。"))
    values = {"display_name": target.display_name, "phone": target.phone, "id_card": target.id_card}
    with transaction.atomic():
        record_access(actor=actor, instance=target, fields=list(values), purpose=(purpose or "").strip())
    return values


# --- role assignments -----------------------------------------------------------------------------


def _missing_permissions(actor, role, scope_path: str) -> list[str]:
    """Permissions of `role` the actor would hand out without holding them over `scope_path`.

    Operational permissions (the governance work itself: case handling, dispatch…, see
    `roles.DELEGABLE_APPS`) may be granted by an administrator who does not hold them: separation of
    duties (三员分立) means the administrator manages accounts but does not do the work. Everything
    else — audit, personal data, accounts, places — can only be granted by someone who holds it."""
    return sorted(
        p
        for p in role.permission_names()
        if p.split(".", 1)[0] not in DELEGABLE_APPS and not path_in_scope(actor, p, scope_path)
    )


def do_grant_role(*, actor, user: User, role, area=None, grid=None) -> RoleAssignment:
    """Grant `role` to `user` in the subtree of `area`, or only within `grid` (then the area is the
    grid's village and the scope is the grid's path).

    No privilege escalation: the actor must hold `accounts.add_roleassignment` over the scope AND
    every permission of the role there, so nobody can hand out more than they hold."""
    if grid is not None:
        if area is not None and area.pk != grid.village_id:
            raise ServiceError(Code.GRID_AREA_MISMATCH, _("网格不属于所选区划。"), field="grid")
        area = grid.village
        scope_path = grid.path
    elif area is not None:
        scope_path = area.path
    else:
        raise ServiceError(Code.REQUIRED, _("区划不能为空。"), field="area")
    if not user.is_active:
        raise ServiceError(
            Code.USER_INACTIVE, _("用户“%(name)s”已停用。") % {"name": user.username}, field="user"
        )
    if not role.is_active:
        raise ServiceError(
            Code.ROLE_INACTIVE, _("角色“%(name)s”已停用。") % {"name": role.name}, field="role"
        )
    if actor is not None:
        if actor.pk == user.pk and not actor.is_superuser:
            raise ServiceError(Code.PRIVILEGE_ESCALATION, _("不能给自己授予角色。"), field="user")
        if not path_in_scope(actor, "accounts.add_roleassignment", scope_path):
            raise ServiceError(Code.GRANT_OUT_OF_SCOPE, _("您无权在该范围内授权。"), field="area")
        missing = _missing_permissions(actor, role, scope_path)
        if missing:
            raise ServiceError(
                Code.PRIVILEGE_ESCALATION,
                _("您在该范围内不具备角色“%(role)s”的全部权限（缺少 %(n)d 项），不能授予。")
                % {"role": role.name, "n": len(missing)},
                field="role",
                params={"missing": missing},
            )
    with transaction.atomic():
        if RoleAssignment.objects.filter(user=user, role=role, area=area, grid=grid).exists():
            raise ServiceError(Code.ALREADY_GRANTED, _("该用户在此范围内已拥有此角色。"), field="role")
        assignment = RoleAssignment.objects.create(
            user=user, role=role, area=area, grid=grid, scope_path=scope_path
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=assignment,
            before=None,
            after=snapshot(assignment),
        )
    user.clear_scope_cache()
    return assignment


def do_revoke_role(assignment: RoleAssignment, *, actor) -> None:
    """Withdraw a grant. The actor must hold `accounts.delete_roleassignment` over its scope."""
    if actor is not None and not path_in_scope(
        actor, "accounts.delete_roleassignment", assignment.scope_path
    ):
        raise ServiceError(Code.REVOKE_OUT_OF_SCOPE, _("您无权撤销该范围内的授权。"), field="area")
    with transaction.atomic():
        before = snapshot(assignment)
        pk = assignment.pk
        assignment.delete()
        assignment.pk = pk  # keep the id for the audit row
        record_change(actor=actor, action=ChangeAction.DELETE, instance=assignment, before=before, after=None)
    assignment.user.clear_scope_cache()


# --- API tokens -----------------------------------------------------------------------------------


def do_create_api_token(*, actor, user: User, name: str, expires_at: dt.datetime | None = None):
    """A new bearer token for `user`: returns (token, raw secret). Only a digest is stored, so the
    secret is shown to the caller once and can never be read back."""
    name = _required(name, "name", _("名称"))
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(Code.TOKEN_EXPIRY_PAST, _("过期时间必须晚于当前时间。"), field="expires_at")
    if not user.is_active:
        raise ServiceError(
            Code.USER_INACTIVE, _("用户“%(name)s”已停用。") % {"name": user.username}, field="user"
        )
    _check_may_act_as(actor, user, "user")
    raw, prefix = generate_token()
    alg = default_algorithm()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=prefix,
            digest=token_digest(raw, alg),
            hash_alg=alg,
            expires_at=expires_at,
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=token,
            before=None,
            after=snapshot(token, fields=_TOKEN_AUDIT_FIELDS),
        )
    return token, raw


def _revoke(token: ApiToken, *, actor) -> None:
    before = snapshot(token, fields=_TOKEN_AUDIT_FIELDS)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    record_change(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=token,
        before=before,
        after=snapshot(token, fields=_TOKEN_AUDIT_FIELDS),
    )


def do_revoke_api_token(token: ApiToken, *, actor) -> ApiToken:
    """Revoke a token at once; a revoked token is refused from the next request on."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise ServiceError(Code.TOKEN_ALREADY_REVOKED, _("该令牌已被吊销。"))
        _revoke(token, actor=actor)
    return token


# --- roles (superusers only; built-in roles are re-synced from roles.SYSTEM_ROLES) -----------------

_ROLE_FIELDS = {"name", "description", "permissions", "is_active"}


def do_create_role(*, actor, code: str, name: str, description: str = "", permissions=()):
    """A custom role: a named bundle of existing permissions."""
    from .models import Role

    code = _required(code, "code", _("角色代码"))
    name = _required(name, "name", _("名称"))
    if not _SLUG.match(code):
        raise ServiceError(Code.INVALID, _("角色代码只能包含字母、数字、连字符和下划线。"), field="code")
    with transaction.atomic():
        if Role.objects.filter(code=code).exists():
            raise ServiceError(Code.INVALID, _("角色代码“%(code)s”已被使用。") % {"code": code}, field="code")
        role = Role.objects.create(code=code, name=name, description=description or "")
        role.permissions.set(permissions)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=role, before=None, after=snapshot(role)
        )
    return role


def do_update_role(role, *, actor, **changes):
    """Change a custom role. Built-in roles are refused: the next migrate would undo the change."""
    from .models import Role

    if role.is_system:
        raise ServiceError(Code.INVALID, _("内置角色不能修改，请复制后修改。"))
    for key in changes:
        if key not in _ROLE_FIELDS:
            raise ServiceError(Code.UNKNOWN_FIELD, _("字段“%(field)s”不能修改。") % {"field": key}, field=key)
    if "name" in changes:
        changes["name"] = _required(changes["name"], "name", _("名称"))
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role.pk)
        before = snapshot(role)
        permissions = changes.pop("permissions", None)
        for key, value in changes.items():
            setattr(role, key, value)
        role.save(update_fields=[*changes, "updated_at"])
        if permissions is not None:
            role.permissions.set(permissions)
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=role, before=before, after=snapshot(role)
        )
    return role


def do_delete_role(role, *, actor) -> None:
    """Delete a custom role that nobody holds."""
    if role.is_system:
        raise ServiceError(Code.INVALID, _("内置角色不能删除。"))
    with transaction.atomic():
        if role.assignments.exists():
            raise ServiceError(Code.INVALID, _("仍有用户拥有此角色，不能删除；请先撤销授权或停用角色。"))
        before = snapshot(role)
        pk = role.pk
        role.delete()
        role.pk = pk
        record_change(actor=actor, action=ChangeAction.DELETE, instance=role, before=before, after=None)
