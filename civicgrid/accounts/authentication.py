"""DRF authentication by `Authorization: Bearer cg_…` API tokens (revocable, optionally expiring)."""

import datetime as dt

from django.db.models import BooleanField, Case, F, Q, When
from django.db.models import Value as V
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from civicgrid.core.prepared import SENTINEL_TIME, Prepared

from .models import ApiToken, User
from .tokens import TOKEN_PREFIX, token_digest

# How often a token's "last used" time is written: at most once a minute, so that reads stay reads.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

# The active user behind a live token, with the token's id and whether its "last used" time is
# older than the resolution: one query, compiled once (it runs on every API request).
_TOKEN_USER = Prepared(
    lambda digest, now, stale_before: (
        User.objects.filter(
            Q(is_active=True)
            & Q(api_tokens__digest=digest)
            & Q(api_tokens__revoked_at__isnull=True)
            & (Q(api_tokens__expires_at__isnull=True) | Q(api_tokens__expires_at__gt=now))
        )
        .annotate(
            _token_id=F("api_tokens__id"),
            _token_stale=Case(
                When(api_tokens__last_used_at__gte=stale_before, then=V(False)),
                default=V(True),
                output_field=BooleanField(),
            ),
        )
        .order_by()
    ),
    digest="\x00sentinel-digest",
    now=SENTINEL_TIME,
    stale_before=SENTINEL_TIME + dt.timedelta(seconds=1),
)


def user_for_token(raw: str):
    """The active user behind a live token (its id in `user._token_id`), or None for an unknown,
    expired or revoked token. Writes the token's "last used" time at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    found = _TOKEN_USER.instances(digest=token_digest(raw), now=now, stale_before=now - LAST_USED_RESOLUTION)
    if not found:
        return None
    user = found[0]
    if user._token_stale:
        ApiToken.objects.filter(pk=user._token_id).update(last_used_at=now)
    return user


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2 or not header[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("令牌格式无效。"))
        user = user_for_token(header[1])
        if user is None:
            raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已吊销。"))
        return user, user._token_id

    def authenticate_header(self, request):
        return self.keyword
