"""The seal key lives outside the database; MultiFernet opens old tokens and rotation re-seals under a new key."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from liangxian.complaints import seal

from .fixtures import IDENTITY


def test_sealing_round_trips_and_the_token_holds_no_plain_text() -> None:
    token = seal.seal(IDENTITY)
    assert IDENTITY["name"] not in token and IDENTITY["phone"] not in token
    assert seal.unseal(token) == IDENTITY


def test_a_missing_key_file_is_generated_with_mode_0600(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "other" / "seal.key"
    settings.LIANGXIAN_SEAL_KEY_FILE = str(path)
    token = seal.seal({"name": "甲"})
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert seal.unseal(token)["name"] == "甲"


def test_the_key_from_the_setting_wins_over_the_file_and_a_wrong_key_cannot_open(settings: Any) -> None:
    settings.LIANGXIAN_SEAL_KEY = Fernet.generate_key().decode()
    token = seal.seal({"name": "乙"})
    assert seal.key_file() is None
    settings.LIANGXIAN_SEAL_KEY = Fernet.generate_key().decode()
    with pytest.raises(seal.SealKeyError):
        seal.unseal(token)


def test_a_new_key_in_front_still_opens_old_tokens_and_rotation_needs_only_the_new_key(settings: Any) -> None:
    old = seal.seal({"name": "丙"})
    path = seal.add_new_key()
    keys = seal.keys()
    assert len(keys) == 2 and path.read_text().splitlines()[1] == keys[1]
    assert seal.unseal(old)["name"] == "丙"
    rotated = seal.rotate_token(old)
    settings.LIANGXIAN_SEAL_KEY = keys[0]  # the old key gone
    assert seal.unseal(rotated)["name"] == "丙"
    with pytest.raises(seal.SealKeyError):
        seal.unseal(old)


def test_rotating_refuses_when_the_keys_come_from_the_environment(settings: Any) -> None:
    settings.LIANGXIAN_SEAL_KEY = Fernet.generate_key().decode()
    with pytest.raises(seal.SealKeyError):
        seal.add_new_key()
