"""OpenAPI description of the portal's token authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.tokens.PortalTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` from POST /api/v1/token/ (expires; revocable)",
        }
