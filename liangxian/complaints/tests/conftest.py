"""Keep what the tests write out of the project's media folder, and seal with a key made for the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _seal_key(settings: Any, tmp_path: Path) -> None:
    settings.LIANGXIAN_SEAL_KEY = ""
    settings.LIANGXIAN_SEAL_KEY_FILE = str(tmp_path / "keys" / "seal.key")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "seal.key").write_text(Fernet.generate_key().decode() + "\n")
