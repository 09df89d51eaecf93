"""/api/v1/notifications/: my notifications (list, read one, mark read, mark all read).
/api/v1/outbound-messages/: delivery state for holders of notifications.view_outboundmessage
(addresses masked)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..models import Notification, OutboundMessage
from .serializers import NotificationSerializer, OutboundMessageSerializer


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Only the requester's own notifications exist here: another user's id is a 404."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        rows = Notification.objects.for_user(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            rows = rows.unread()
        return rows

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request, pk=None):
        notification = self.get_object()
        services.do_mark_read_notification(notification, actor=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("MarkAllRead", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.do_mark_all_read_notifications(actor=request.user)})


class CanViewOutbound(permissions.BasePermission):
    message = _("您没有执行此操作的权限。")

    def has_permission(self, request, view):
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm("notifications.view_outboundmessage")
        )


class OutboundMessageViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OutboundMessageSerializer
    permission_classes = [CanViewOutbound]
    queryset = OutboundMessage.objects.all()
