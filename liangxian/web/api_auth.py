"""Who may call the API: a signed-in browser (session and CSRF) or another department's system (token)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from liangxian.core.audit import audit_record
from liangxian.org.models import ApiToken, Role, Unit, User

if TYPE_CHECKING:
    from django.http import HttpRequest

# Writing last_used_at on every call would make every read a write; once a minute says enough.
_TOUCH_EVERY = timedelta(minutes=1)


class ApiTokenError(Exception):
    """A token cannot be issued or revoked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def token_digest(secret: str) -> str:
    """Hash a token's secret as it is stored: only the digest is kept, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenAuth(HttpBearer):
    """Authenticate ``Authorization: Bearer <prefix>.<secret>`` as the token's user, for his unit."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        prefix, _dot, secret = token.strip().partition(".")
        if not prefix or not secret or len(prefix) > 12:
            return None
        found = ApiToken.objects.select_related("user", "user__unit").filter(prefix=prefix).first()
        if found is None or found.revoked_at is not None:
            return None
        if not hmac.compare_digest(found.digest, token_digest(secret)):
            return None
        user = found.user
        # A token acts for its unit: once its user has left the unit or is disabled, it acts for nobody.
        if not user.is_active or user.unit_id != found.unit_id:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.api_token = found  # type: ignore[attr-defined]
        return user


class BrowserSessionAuth(SessionAuth):
    """Django's session, for pages calling the API; unsafe methods need the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


# Tried in order: a system's token first, then the browser's session.
api_auth = [TokenAuth(), BrowserSessionAuth()]


def _may_manage_tokens(actor: User) -> bool:
    return actor.is_superuser or actor.role == Role.SYSADMIN


def api_token_issue(*, actor: User, unit: Unit, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for another department's system acting as ``user`` for ``unit``; return it and its secret.

    The plaintext ``<prefix>.<secret>`` is returned once and never stored.
    """
    if not _may_manage_tokens(actor):
        raise ApiTokenError("only a system administrator issues API tokens", code="not_allowed")
    if user.unit_id != unit.pk:
        raise ApiTokenError("the token's user must belong to the token's unit", code="user_not_in_unit")
    name = name.strip()
    if not name:
        raise ApiTokenError("name the system the token is for", code="name_required")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        prefix = secrets.token_hex(5)
        while ApiToken.objects.filter(prefix=prefix).exists():
            prefix = secrets.token_hex(5)
        token = ApiToken.objects.create(unit=unit, user=user, name=name, prefix=prefix, digest=token_digest(secret))
        audit_record(
            actor=actor,
            action="api_token.issue",
            obj=token,
            payload={"unit": unit.code, "user": user.username, "name": name, "prefix": prefix},
        )
    return token, f"{prefix}.{secret}"


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: from now on it is refused."""
    if not _may_manage_tokens(actor):
        raise ApiTokenError("only a system administrator revokes API tokens", code="not_allowed")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise ApiTokenError("the token is already revoked", code="already_revoked")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", obj=locked, payload={"prefix": locked.prefix})
    return locked
