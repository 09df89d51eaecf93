"""Base classes every app's API builds on: scoped viewsets and related fields, and one exception
handler so that every error names its field in the user's language and nothing becomes a 500."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import NotPermitted, ServiceError
from .scope import ALL, perm_name, scope_paths

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, NotPermitted):
        exc = exceptions.NotFound()
    elif isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, ProtectedError | RestrictedError):
        # Deleting something other rows still point at is bad input, not a server error.
        return Response(
            {
                "non_field_errors": [str(_("仍有其他记录引用此对象，不能删除；可改为停用。"))],
                "error_code": "protected",
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)


class HoldsActionSomewhere(permissions.BasePermission):
    """403 when the user holds the view's action nowhere at all (the answer does not depend on the
    object, so it leaks nothing); where they hold it somewhere, `restrict` decides per object and
    an object out of reach is a 404 like a missing one."""

    message = _("您没有执行此操作的权限。")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        paths = scope_paths(request.user, view.scope_action())
        return paths is ALL or bool(paths)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the requester must be able to see: an id outside the requester's scope is
    reported exactly as a missing id ("对象不存在"), so the API leaks nothing."""

    default_error_messages = {
        "does_not_exist": _("对象“{pk_value}”不存在。"),
        "incorrect_type": _("类型不正确，应为编号。"),
    }

    def __init__(self, *, action: str | None = None, **kwargs):
        self.scope_action = action
        super().__init__(**kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        action = self.scope_action or perm_name(qs.model, "view")
        user = getattr(request, "user", None)
        return qs.restrict(user, action)


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    default_error_messages = {"does_not_exist": _("对象“{value}”不存在。"), "invalid": _("值无效。")}

    def __init__(self, *, action: str | None = None, **kwargs):
        self.scope_action = action
        super().__init__(**kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        action = self.scope_action or perm_name(qs.model, "view")
        return qs.restrict(getattr(request, "user", None), action)


class ScopedModelViewSet(viewsets.ModelViewSet):
    """CRUD on a scoped model.

    * list/retrieve see `restrict(user, view_<model>)`;
    * update/delete load the object through `restrict(user, change/delete_<model>)`, so an object
      outside the scope is a 404 exactly like a missing one;
    * writes go through the subclass's `perform_*`, which call services; after a create or update the
      object is re-read through `restrict` inside the transaction and the write is rolled back on a
      miss, so nobody can move an object out of their own reach.
    """

    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    verb_for_action = {
        "list": "view",
        "retrieve": "view",
        "create": "add",
        "update": "change",
        "partial_update": "change",
        "destroy": "delete",
    }

    def scope_action(self, action: str | None = None) -> str:
        verb = self.verb_for_action.get(action or self.action, "view")
        return perm_name(self.queryset.model, verb)

    def get_queryset(self):
        return self.queryset.all().restrict(self.request.user, self.scope_action())

    def assert_still_in_scope(self, instance, action: str | None = None):
        model = type(instance)
        if (
            not model.objects.restrict(self.request.user, self.scope_action(action))
            .filter(pk=instance.pk)
            .exists()
        ):
            raise exceptions.NotFound()

    # Writes take their input in one shape and answer in another: the input serializers check
    # shape only, the service does the write, the answer is `serializer_class` of the fresh row.
    create_serializer_class = None  # default: get_serializer_class()
    update_serializer_class = None

    def input_serializer(self, action: str, **kwargs):
        cls = (
            self.create_serializer_class if action == "create" else self.update_serializer_class
        ) or self.get_serializer_class()
        return cls(context=self.get_serializer_context(), **kwargs)

    def respond(self, instance, code=status.HTTP_200_OK):
        instance = type(self).queryset.all().get(pk=instance.pk)
        return Response(
            self.serializer_class(instance, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer("create", data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = self.perform_create(serializer.validated_data)
            self.assert_still_in_scope(instance, "create")
        return self.respond(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()
            serializer = self.input_serializer("update", data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            instance = self.perform_update(instance, serializer.validated_data)
            self.assert_still_in_scope(instance, "update")
        return self.respond(instance)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.get_object()
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_create(self, data: dict):  # pragma: no cover - subclasses call their service
        raise NotImplementedError

    def perform_update(self, instance, data: dict):  # pragma: no cover
        raise NotImplementedError

    def perform_destroy(self, instance):  # pragma: no cover
        raise NotImplementedError


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    verb_for_action = {"list": "view", "retrieve": "view"}

    def scope_action(self, action: str | None = None) -> str:
        verb = self.verb_for_action.get(action or self.action, "view")
        return perm_name(self.queryset.model, verb)

    def get_queryset(self):
        return self.queryset.all().restrict(self.request.user, self.scope_action())
