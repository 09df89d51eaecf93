"""The accounts API: units, users (masked; reveal is audited), roles, role assignments, API tokens.

Reads are scoped by `restrict`; every write calls `accounts.services`. Missing and out-of-scope
objects are the same 404; an action the user holds nowhere is a 403.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicgrid.core.api import HoldsActionSomewhere, ScopedModelViewSet
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import ALL, path_in_scope, path_q, scope_paths

from .. import services
from ..error_codes import AccountsErrorCode
from ..models import ApiToken, Role, RoleAssignment, Unit, User
from . import serializers as s
from .filtersets import (
    ApiTokenFilterSet,
    RoleAssignmentFilterSet,
    RoleFilterSet,
    UnitFilterSet,
    UserFilterSet,
)


@extend_schema_view(
    create=extend_schema(request=s.UnitSerializer, responses={201: s.UnitSerializer}),
    update=extend_schema(request=s.UnitUpdateSerializer, responses=s.UnitSerializer),
    partial_update=extend_schema(request=s.UnitUpdateSerializer, responses=s.UnitSerializer),
    destroy=extend_schema(summary=_("停用单位")),
)
class UnitViewSet(ScopedModelViewSet):
    queryset = Unit.objects.select_related("area")
    serializer_class = s.UnitSerializer
    filterset_class = UnitFilterSet

    def get_serializer_class(self):
        if self.action in ("update", "partial_update") and self.request.method in ("PUT", "PATCH"):
            return s.UnitUpdateSerializer
        return s.UnitSerializer

    def perform_create(self, data):
        return services.do_create_unit(actor=self.request.user, **data)

    def perform_update(self, instance, data):
        return services.do_update_unit(instance, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.do_deactivate_unit(instance, actor=self.request.user)


@extend_schema_view(
    create=extend_schema(request=s.UserCreateSerializer, responses={201: s.UserSerializer}),
    update=extend_schema(request=s.UserUpdateSerializer, responses=s.UserSerializer),
    partial_update=extend_schema(request=s.UserUpdateSerializer, responses=s.UserSerializer),
    destroy=extend_schema(summary=_("停用用户（并吊销其全部 API 令牌）")),
)
class UserViewSet(ScopedModelViewSet):
    queryset = User.objects.all()
    serializer_class = s.UserSerializer
    filterset_class = UserFilterSet
    verb_for_action = {**ScopedModelViewSet.verb_for_action, "reveal": "view"}

    def get_serializer_class(self):
        if self.request is not None and self.action == "create" and self.request.method == "POST":
            return s.UserCreateSerializer
        if self.action in ("update", "partial_update") and self.request.method in ("PUT", "PATCH"):
            return s.UserUpdateSerializer
        if self.action == "reveal":
            return s.RevealRequestSerializer
        return s.UserSerializer

    def create(self, request, *args, **kwargs):
        serializer = s.UserCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            user = services.do_create_user(actor=request.user, **serializer.validated_data)
            self.assert_still_in_scope(user, "create")
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()
            serializer = s.UserUpdateSerializer(
                data=request.data, partial=partial, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            user = services.do_update_user(instance, actor=request.user, **serializer.validated_data)
            self.assert_still_in_scope(user, "update")
        return Response(s.UserSerializer(user).data)

    def perform_destroy(self, instance):
        services.do_deactivate_user(instance, actor=self.request.user)

    @extend_schema(
        request=s.RevealRequestSerializer,
        responses=s.RevealResponseSerializer,
        summary=_("查看未脱敏的个人信息（留痕）"),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        target = self.get_object()  # a user out of view scope is a 404, like a missing one
        serializer = s.RevealRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            values = services.reveal_personal_data(
                target, actor=request.user, purpose=serializer.validated_data["purpose"]
            )
        except ServiceError as exc:
            if exc.code == AccountsErrorCode.REVEAL_NOT_PERMITTED:
                raise exceptions.PermissionDenied(exc.message) from exc
            raise
        return Response({"id": target.pk, **values})


class IsSuperuserForWrites(permissions.BasePermission):
    message = _("只有超级管理员可以修改角色。")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_superuser)


@extend_schema_view(
    create=extend_schema(request=s.RoleWriteSerializer, responses={201: s.RoleSerializer}),
    update=extend_schema(request=s.RoleWriteSerializer, responses=s.RoleSerializer),
    partial_update=extend_schema(request=s.RoleWriteSerializer, responses=s.RoleSerializer),
)
class RoleViewSet(viewsets.ModelViewSet):
    """Roles are not located anywhere: staff who may view roles somewhere see the catalogue; only
    superusers change it (a role is a bundle of power, so editing one is editing everyone's)."""

    queryset = Role.objects.prefetch_related("permissions__content_type")
    serializer_class = s.RoleSerializer
    filterset_class = RoleFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere, IsSuperuserForWrites]

    def scope_action(self, action=None):
        return "accounts.view_role"

    def get_serializer_class(self):
        if self.request is not None and self.request.method in ("POST", "PUT", "PATCH"):
            return s.RoleWriteSerializer
        return s.RoleSerializer

    def _respond(self, role, code=status.HTTP_200_OK):
        return Response(s.RoleSerializer(self.queryset.get(pk=role.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = s.RoleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        role = services.do_create_role(
            actor=request.user,
            code=data.get("code", ""),
            name=data.get("name", ""),
            description=data.get("description", ""),
            permissions=data.get("permissions", ()),
        )
        return self._respond(role, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        role = self.get_object()
        serializer = s.RoleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "code"}
        return self._respond(services.do_update_role(role, actor=request.user, **changes))

    def perform_destroy(self, instance):
        services.do_delete_role(instance, actor=self.request.user)


@extend_schema_view(
    create=extend_schema(
        request=s.RoleAssignmentCreateSerializer, responses={201: s.RoleAssignmentSerializer}
    ),
    destroy=extend_schema(summary=_("撤销授权")),
)
class RoleAssignmentViewSet(ScopedModelViewSet):
    """Grants. There is no update: a changed grant is a revoke and a new grant, both audited."""

    queryset = RoleAssignment.objects.select_related("user", "role", "area", "grid")
    serializer_class = s.RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.request is not None and self.action == "create" and self.request.method == "POST":
            return s.RoleAssignmentCreateSerializer
        return s.RoleAssignmentSerializer

    def create(self, request, *args, **kwargs):
        serializer = s.RoleAssignmentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            assignment = services.do_grant_role(actor=request.user, **serializer.validated_data)
            self.assert_still_in_scope(assignment, "create")
        return Response(s.RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.do_revoke_role(instance, actor=self.request.user)


def tokens_within(user, action: str):
    """API tokens whose owner's area lies in the user's scope for `action`, plus the user's own.
    Tokens have no place of their own: they are where their owner is managed from."""
    qs = ApiToken.objects.select_related("user")
    paths = scope_paths(user, action)
    if paths is ALL:
        return qs
    q = Q(user=user)
    if paths:
        q |= path_q("user__area__path", paths)
    return qs.filter(q)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone sees and may revoke their own tokens; administrators those of the accounts they
    manage. Creating a token (for oneself too) needs `accounts.add_apitoken` over its owner's area."""

    queryset = ApiToken.objects.all()
    serializer_class = s.ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    permission_classes = [permissions.IsAuthenticated]
    actions_perm = {"create": "accounts.add_apitoken", "destroy": "accounts.delete_apitoken"}

    def get_permissions(self):
        perms = super().get_permissions()
        return [*perms, HoldsActionSomewhere()] if self.action == "create" else perms

    def scope_action(self, action=None):
        return self.actions_perm.get(action or self.action, "accounts.view_apitoken")

    def get_queryset(self):
        return tokens_within(self.request.user, self.scope_action()).order_by("-created_at", "-id")

    def get_serializer_class(self):
        if self.request is not None and self.action == "create" and self.request.method == "POST":
            return s.ApiTokenCreateSerializer
        return s.ApiTokenSerializer

    @extend_schema(request=s.ApiTokenCreateSerializer, responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.ApiTokenCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        owner = serializer.validated_data["user"] or request.user
        if not path_in_scope(
            request.user, "accounts.add_apitoken", owner.area.path if owner.area_id else None
        ):
            raise ServiceError("out_of_scope", _("您无权为该用户创建令牌。"), field="user")
        token, raw = services.do_create_api_token(
            actor=request.user,
            user=owner,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data["expires_at"],
        )
        data = s.ApiTokenSerializer(token).data
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("吊销令牌"))
    def destroy(self, request, *args, **kwargs):
        services.do_revoke_api_token(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
