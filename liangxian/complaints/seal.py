"""The key that seals reporters' identities, kept outside the database, and sealing with it (Art 43).

The keys come from ``LIANGXIAN_SEAL_KEY`` (setting or environment; several keys comma-separated, newest first)
or from the key file ``LIANGXIAN_SEAL_KEY_FILE`` (setting or environment; one key a line, newest first; default
``<var>/keys/seal.key``, created with mode 0600 when missing). MultiFernet decrypts with any of them and
encrypts with the first, so a new key can be put in front and the tokens re-encrypted (``rotate``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

IDENTITY_FIELDS = ("name", "phone", "id_number", "address")


class SealKeyError(Exception):
    """The seal key is missing, malformed or does not open a token."""

    code = "seal_key"


def _from_env_or_settings(name: str) -> str:
    return str(getattr(settings, name, "") or os.environ.get(name, "") or "")


def key_file() -> Path | None:
    """Return the key file in use, or None when the keys come from ``LIANGXIAN_SEAL_KEY``."""
    if _from_env_or_settings("LIANGXIAN_SEAL_KEY"):
        return None
    named = _from_env_or_settings("LIANGXIAN_SEAL_KEY_FILE")
    return Path(named) if named else Path(settings.VAR_DIR) / "keys" / "seal.key"


def _write_keys(path: Path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(keys) + "\n")
    os.chmod(path, 0o600)


def keys() -> list[str]:
    """Return the keys, newest first; generate the key file on first use (development, test, demo)."""
    direct = _from_env_or_settings("LIANGXIAN_SEAL_KEY")
    if direct:
        found = [k.strip() for k in direct.split(",") if k.strip()]
    else:
        path = key_file()
        assert path is not None
        if not path.exists():
            _write_keys(path, [Fernet.generate_key().decode()])
        found = [k.strip() for k in path.read_text().splitlines() if k.strip()]
    if not found:
        raise SealKeyError("no seal key")
    return found


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys()])
    except (ValueError, TypeError) as exc:
        raise SealKeyError("malformed seal key") from exc


def seal(identity: dict[str, str]) -> str:
    """Encrypt the reporter's identity fields into one token."""
    body = {k: str(identity.get(k, "") or "") for k in IDENTITY_FIELDS}
    return _fernet().encrypt(orjson.dumps(body)).decode()


def unseal(token: str) -> dict[str, str]:
    """Decrypt a token back into the identity fields."""
    try:
        data: Any = orjson.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SealKeyError("the seal key does not open this identity") from exc
    return {k: str(data.get(k, "")) for k in IDENTITY_FIELDS}


def rotate_token(token: str, fernet: MultiFernet | None = None) -> str:
    """Re-encrypt a token under the newest key."""
    return (fernet or _fernet()).rotate(token.encode()).decode()


def add_new_key() -> Path:
    """Put a newly generated key in front of the key file's keys; refuse when the keys come from the env."""
    path = key_file()
    if path is None:
        raise SealKeyError("the keys come from LIANGXIAN_SEAL_KEY: put the new key in front there")
    current = keys()
    _write_keys(path, [Fernet.generate_key().decode(), *current])
    return path


def fernet() -> MultiFernet:
    """Return the MultiFernet of the current keys."""
    return _fernet()
