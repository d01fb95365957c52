"""What the console commands share about users: the one acting with ``--as USER``."""

from __future__ import annotations

from django.core.management.base import CommandError

from .models import User


def acting_user(username: str | None) -> User | None:
    """The active user a command acts as; None when no name is given; a clear error for an unknown one."""
    if not username:
        return None
    user = User.objects.select_related("unit").filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


def required_user(username: str | None) -> User:
    """The active user a command must act as (``--as`` is required)."""
    user = acting_user(username)
    if user is None:
        raise CommandError("name the acting user with --as USER")
    return user
