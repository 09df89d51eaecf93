"""OpenAPI description of the bearer API tokens, so the schema documents how machines log in."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "civicgrid.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("API 令牌：Authorization: Bearer cg_…（由管理员创建，可吊销）")),
        }
