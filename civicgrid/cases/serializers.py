"""API shapes the kernel shares with every kind (DRF serializers for output only)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class CasePartySerializer(serializers.Serializer):
    """A case party as `cases.parties.party_row` gives it: personal fields masked (张*,
    110105********002X …) unless `masked` is false, after a logged reveal."""

    id = serializers.IntegerField()
    role = serializers.CharField()
    kind = serializers.CharField(help_text=_("person 自然人、organisation 单位"))
    name = serializers.CharField()
    id_card = serializers.CharField()
    org_code = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    masked = serializers.BooleanField()
