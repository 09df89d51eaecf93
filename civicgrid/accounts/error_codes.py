"""Stable machine-readable codes of the errors raised by `accounts.services` (the message is
translated; the code is what clients and tests match on)."""

from enum import StrEnum

# ruff: noqa: S105 -- these are error codes, not passwords


class AccountsErrorCode(StrEnum):
    REQUIRED = "required"
    INVALID = "invalid"
    UNKNOWN_FIELD = "unknown_field"
    UNIT_CODE_TAKEN = "unit_code_taken"
    USERNAME_TAKEN = "username_taken"
    USERNAME_INVALID = "username_invalid"
    PASSWORD_INVALID = "password_invalid"
    PHONE_INVALID = "phone_invalid"
    ID_CARD_INVALID = "id_card_invalid"
    ORG_CODE_INVALID = "org_code_invalid"
    EMAIL_INVALID = "email_invalid"
    CANNOT_DEACTIVATE_SELF = "cannot_deactivate_self"
    USER_INACTIVE = "user_inactive"
    ROLE_INACTIVE = "role_inactive"
    GRID_AREA_MISMATCH = "grid_area_mismatch"
    ALREADY_GRANTED = "already_granted"
    GRANT_OUT_OF_SCOPE = "grant_out_of_scope"
    PRIVILEGE_ESCALATION = "privilege_escalation"
    REVOKE_OUT_OF_SCOPE = "revoke_out_of_scope"
    TOKEN_EXPIRY_PAST = "token_expiry_past"
    TOKEN_ALREADY_REVOKED = "token_already_revoked"
    REVEAL_NOT_PERMITTED = "reveal_not_permitted"
