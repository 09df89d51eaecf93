"""People and access: users, units (departments and offices), roles and area-scoped role assignments.

A `RoleAssignment(user, role, area[, grid])` grants the role's permissions in the subtree of `area`
(or only in `grid` for grid workers). `User.get_scope_paths(action)` answers the question that
`core.scope` asks; it is cached on the user object for the request.
"""

from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.areas.models import Area, Grid
from civicgrid.core.models import ScopedModel, TimeStampedModel
from civicgrid.core.prepared import Prepared
from civicgrid.core.scope import ScopedQuerySet

from .choices import UnitKind


class Unit(ScopedModel, TimeStampedModel):
    """A department or office (公安, 城管, 应急管理, 街道办 …) located in an area."""

    code = models.SlugField(_("单位代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=UnitKind.choices, default=UnitKind.DEPARTMENT)
    area = models.ForeignKey(Area, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    scope_path_field = "area__path"

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = pgettext_lazy("plural", "单位")
        ordering = ["area__code", "name"]

    def __str__(self):
        return self.name


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser, ScopedModel):
    """A staff member or machine account. `area` is where the account is managed from (its
    administrators' scope); what the user may do comes only from role assignments."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    id_card = models.CharField(_("身份证号"), max_length=18, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("管理区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    objects = UserManager()
    scope_path_field = "area__path"
    PERSONAL_FIELDS = {"display_name": "name", "phone": "phone", "id_card": "id_card"}

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.username

    def get_scope_paths(self, action: str) -> list[str]:
        """Paths of the subtrees where this user holds `action` ("app_label.codename")."""
        cache = self.__dict__.setdefault("_scope_cache", None)
        if cache is None:
            cache = {}
            for path, app_label, codename in _grants_of(self.pk):
                if codename:
                    cache.setdefault(f"{app_label}.{codename}", set()).add(path)
            self.__dict__["_scope_cache"] = cache
        return sorted(cache.get(action, ()))

    def clear_scope_cache(self):
        self.__dict__.pop("_scope_cache", None)


class Role(TimeStampedModel):
    """A named bundle of permissions (grid worker, township officer, dispatcher …). Built-in roles
    (`is_system`) are kept in step with `roles.SYSTEM_ROLES` after every migrate."""

    code = models.SlugField(_("角色代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("权限"), blank=True)
    is_system = models.BooleanField(_("内置"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = pgettext_lazy("plural", "角色")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def label(self):
        """The role's name in the user's language: built-in roles carry translated names in code;
        roles an office defines itself show the name it typed."""
        if self.is_system:
            from .roles import SYSTEM_ROLES

            spec = SYSTEM_ROLES.get(self.code)
            if spec is not None:
                return spec["name"]
        return self.name

    def permission_names(self) -> set[str]:
        return {f"{a}.{c}" for a, c in self.permissions.values_list("content_type__app_label", "codename")}


class RoleAssignment(ScopedModel, TimeStampedModel):
    """Grant `role` to `user` in the subtree of `area`, or only within `grid` when set."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.ForeignKey(
        Role, verbose_name=_("角色"), on_delete=models.PROTECT, related_name="assignments"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="assignments"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    scope_path = models.CharField(_("范围路径"), max_length=100, db_index=True, editable=False)

    scope_path_field = "scope_path"

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = pgettext_lazy("plural", "角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area", "grid"], name="unique_role_assignment"),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=models.Q(grid__isnull=True),
                name="unique_area_role_assignment",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.role} @ {self.grid or self.area}"


class ApiToken(TimeStampedModel):
    """A revocable bearer token for a machine client. Only a digest of the secret is stored; the
    secret is shown once, at creation."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(max_length=128, unique=True)
    hash_alg = models.CharField(max_length=16, default="sm3")
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = pgettext_lazy("plural", "API 令牌")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


def _grants_query(user_id):
    return RoleAssignment.objects.filter(user_id=user_id, role__is_active=True).values_list(
        "scope_path", "role__permissions__content_type__app_label", "role__permissions__codename"
    )


# Every request that checks a permission reads the user's grants once: compiled once.
_GRANTS = Prepared(_grants_query, user_id=-7_770_001)


def _grants_of(user_id) -> list[tuple[str, str | None, str | None]]:
    return _GRANTS.rows(user_id=user_id)
