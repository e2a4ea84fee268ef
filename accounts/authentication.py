"""DRF authentication from the X-API-Key header."""
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from otpservice.errors import AuthenticationFailed

from .auth_cache import api_key_cached, api_key_used
from .keys import hashes_match, parse_key
from .services import api_key_touch


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates as the key's account; request.auth is the ApiKey row."""

    def authenticate(self, request):
        # request.headers is case-insensitive, so x-api-key and X-API-KEY both work.
        raw = request.headers.get("X-API-Key")
        if raw is None:
            return None
        parsed = parse_key(raw.strip())
        if parsed is None:
            raise AuthenticationFailed()
        # Cached for API_KEY_CACHE_SECONDS (accounts.auth_cache); hash, revocation and is_active
        # are still judged here on every request.
        api_key = api_key_cached(prefix=parsed.prefix)
        if (
            api_key is None
            or api_key.mode != parsed.mode
            or not hashes_match(parsed.key_hash, api_key.key_hash)
            or (api_key.revoked_at is not None and api_key.revoked_at <= timezone.now())
            or not api_key.account.is_active
        ):
            raise AuthenticationFailed()
        last_used = api_key.last_used_at
        api_key_touch(api_key=api_key)
        if api_key.last_used_at != last_used:
            api_key_used(api_key=api_key)
        return (api_key.account, api_key)

    def authenticate_header(self, request):
        return "X-API-Key"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
