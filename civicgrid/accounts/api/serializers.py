"""Serializers of the accounts API. Personal data (name, phone, ID-card number) always leaves
masked; the one way to the plain values is the audited `reveal` action."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from civicgrid.areas.models import Area, Grid
from civicgrid.core.api import ScopedRelatedField
from civicgrid.core.personal_data import mask_id_card, mask_name, mask_phone

from ..choices import UnitKind
from ..models import ApiToken, Role, RoleAssignment, Unit, User


class UnitSerializer(serializers.ModelSerializer):
    area = ScopedRelatedField(label=_("所在区划"), queryset=Area.objects.all(), action="accounts.add_unit")

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "area", "phone", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "is_active", "created_at", "updated_at"]


class UnitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("名称"), max_length=100, required=False)
    kind = serializers.ChoiceField(label=_("类型"), choices=UnitKind.choices, required=False)
    area = ScopedRelatedField(
        label=_("所在区划"), queryset=Area.objects.all(), action="accounts.change_unit", required=False
    )
    phone = serializers.CharField(label=_("办公电话"), max_length=30, required=False, allow_blank=True)
    is_active = serializers.BooleanField(label=_("有效"), required=False)


class UserSerializer(serializers.ModelSerializer):
    """A user as everyone but an audited reveal sees them: 王* · 138****1111 · 330101********123X."""

    display_name = serializers.SerializerMethodField(help_text=_("姓名（脱敏）"))
    phone = serializers.SerializerMethodField(help_text=_("手机号（脱敏）"))
    id_card = serializers.SerializerMethodField(help_text=_("身份证号（脱敏）"))

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "phone",
            "id_card",
            "email",
            "unit",
            "area",
            "is_active",
            "last_login",
        ]
        read_only_fields = fields

    def get_display_name(self, obj) -> str:
        return mask_name(obj.display_name)

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)

    def get_id_card(self, obj) -> str:
        return mask_id_card(obj.id_card)


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(
        label=_("密码"),
        write_only=True,
        required=False,
        allow_null=True,
        default=None,
        style={"input_type": "password"},
        help_text=_("留空则只能使用 API 令牌登录"),
    )
    display_name = serializers.CharField(
        label=_("姓名"), max_length=50, required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(
        label=_("手机号"), max_length=20, required=False, allow_blank=True, default=""
    )
    id_card = serializers.CharField(
        label=_("身份证号"), max_length=18, required=False, allow_blank=True, default=""
    )
    email = serializers.CharField(
        label=_("电子邮箱"), max_length=254, required=False, allow_blank=True, default=""
    )
    unit = ScopedRelatedField(
        label=_("所属单位"), queryset=Unit.objects.all(), required=False, allow_null=True, default=None
    )
    area = ScopedRelatedField(label=_("管理区划"), queryset=Area.objects.all(), action="accounts.add_user")


class UserUpdateSerializer(serializers.Serializer):
    password = serializers.CharField(
        label=_("密码"), write_only=True, required=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(label=_("姓名"), max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(label=_("手机号"), max_length=20, required=False, allow_blank=True)
    id_card = serializers.CharField(label=_("身份证号"), max_length=18, required=False, allow_blank=True)
    email = serializers.CharField(label=_("电子邮箱"), max_length=254, required=False, allow_blank=True)
    unit = ScopedRelatedField(
        label=_("所属单位"), queryset=Unit.objects.all(), required=False, allow_null=True
    )
    area = ScopedRelatedField(
        label=_("管理区划"), queryset=Area.objects.all(), action="accounts.change_user", required=False
    )


class RevealRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(
        label=_("查看事由"), max_length=200, required=False, allow_blank=True, default=""
    )


class RevealResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    id_card = serializers.CharField()


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["id", "code", "name", "description", "permissions", "is_system", "is_active"]
        read_only_fields = fields

    def get_permissions(self, obj) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in obj.permissions.all())


class RoleWriteSerializer(serializers.Serializer):
    code = serializers.SlugField(label=_("角色代码"), max_length=40, required=False)
    name = serializers.CharField(label=_("名称"), max_length=50, required=False)
    description = serializers.CharField(label=_("说明"), required=False, allow_blank=True)
    permissions = serializers.ListField(child=serializers.CharField(), label=_("权限"), required=False)
    is_active = serializers.BooleanField(label=_("有效"), required=False)

    def validate_permissions(self, value):
        from civicgrid.accounts.roles import resolve_permissions

        found, missing = resolve_permissions(value)
        if missing:
            raise serializers.ValidationError(
                _("权限不存在：%(names)s") % {"names": "、".join(sorted(missing))}
            )
        return list(found.values())


class RoleAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "area", "grid", "scope_path", "created_at"]
        read_only_fields = fields


class RoleAssignmentCreateSerializer(serializers.Serializer):
    user = ScopedRelatedField(
        label=_("用户"), queryset=User.objects.filter(is_active=True), action="accounts.view_user"
    )
    role = serializers.PrimaryKeyRelatedField(label=_("角色"), queryset=Role.objects.filter(is_active=True))
    area = ScopedRelatedField(
        label=_("区划"),
        queryset=Area.objects.all(),
        action="accounts.add_roleassignment",
        required=False,
        allow_null=True,
        default=None,
    )
    grid = ScopedRelatedField(
        label=_("网格"),
        queryset=Grid.objects.all(),
        action="accounts.add_roleassignment",
        required=False,
        allow_null=True,
        default=None,
        help_text=_("只在该网格内授权（网格员），此时区划为网格所在村/社区"),
    )

    def validate(self, attrs):
        if attrs.get("area") is None and attrs.get("grid") is None:
            raise serializers.ValidationError({"area": [_("区划和网格至少填写一项。")]})
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "name",
            "prefix",
            "hash_alg",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
        ]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("名称"), max_length=100)
    user = ScopedRelatedField(
        label=_("用户"),
        queryset=User.objects.filter(is_active=True),
        action="accounts.add_apitoken",
        required=False,
        allow_null=True,
        default=None,
        help_text=_("默认为本人"),
    )
    expires_at = serializers.DateTimeField(label=_("过期时间"), required=False, allow_null=True, default=None)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text=_("令牌明文，只显示这一次"))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
