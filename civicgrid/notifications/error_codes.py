"""Stable error codes of the notifications app (ServiceError.code)."""

NO_RECIPIENTS = "notifications.no_recipients"
UNKNOWN_CHANNEL = "notifications.unknown_channel"
MISSING_KEY = "notifications.missing_idempotency_key"
NOT_FAILED = "notifications.not_failed"
