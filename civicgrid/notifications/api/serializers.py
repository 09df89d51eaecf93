from rest_framework import serializers

from ..addresses import mask_address
from ..models import Notification, OutboundMessage


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "link",
            "related_type",
            "related_id",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class OutboundMessageSerializer(serializers.ModelSerializer):
    """Outbound messages for operators: the address is personal data and always masked."""

    address = serializers.SerializerMethodField()

    class Meta:
        model = OutboundMessage
        fields = ["id", "channel", "address", "status", "attempts", "last_error", "created_at", "sent_at"]
        read_only_fields = fields

    def get_address(self, obj) -> str:
        return mask_address(obj.channel, obj.address)
