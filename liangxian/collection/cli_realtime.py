"""`liangxian collection keys create|list|revoke`: the channels' keys for signing real-time notifications."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from liangxian.org.models import User

from .models import Channel
from .realtime import ChannelKeyError, channel_key_create, channel_key_revoke, channel_keys


def add_parsers(sub: Any) -> None:
    """Add this area's subcommands to `liangxian collection`."""
    keys = sub.add_parser("keys", help="the channels' keys for signing real-time notifications")
    actions = keys.add_subparsers(dest="keys_action", required=True)
    create = actions.add_parser("create", help="issue a key for a channel's system (its secret is printed once)")
    create.add_argument("--channel", required=True, choices=Channel.values)
    create.add_argument("--as", dest="username", help="the acting user (default: the system)")
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_create)
    listing = actions.add_parser("list", help="list the keys (never their secrets)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    revoke = actions.add_parser("revoke", help="revoke a key: requests signed with it are refused")
    revoke.add_argument("key_id")
    revoke.add_argument("--as", dest="username", help="the acting user (default: the system)")
    revoke.set_defaults(run=_revoke)


def _actor(options: dict[str, Any]) -> User | None:
    name = options.get("username")
    if not name:
        return None
    user = User.objects.filter(username=name).first()
    if user is None:
        raise CommandError(f"no such user: {name}")
    return user


def _create(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        issued = channel_key_create(channel=options["channel"], by=_actor(options))
    except ChannelKeyError as exc:
        raise CommandError(f"{exc.code}: {exc.message}") from exc
    key = issued.key
    if options["json"]:
        payload = {"key_id": key.key_id, "channel": key.channel, "secret": issued.secret}
        command.stdout.write(orjson.dumps(payload).decode())
        return
    command.stdout.write(f"key id:  {key.key_id}\nchannel: {key.channel}\nsecret:  {issued.secret}")
    command.stdout.write("The secret is shown only now: configure it in the channel's system.")


def _list(command: BaseCommand, options: dict[str, Any]) -> None:
    rows = [
        {
            "key_id": key.key_id,
            "channel": key.channel,
            "created_at": key.created_at.isoformat(),
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        }
        for key in channel_keys()
    ]
    if options["json"]:
        command.stdout.write(orjson.dumps(rows).decode())
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        command.stdout.write(f"{row['key_id']:<28} {row['channel']:<9} created {row['created_at']}  {state}")


def _revoke(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        key = channel_key_revoke(key_id=options["key_id"], by=_actor(options))
    except ChannelKeyError as exc:
        raise CommandError(f"{exc.code}: {exc.message}") from exc
    command.stdout.write(f"revoked {key.key_id} ({key.channel})")
