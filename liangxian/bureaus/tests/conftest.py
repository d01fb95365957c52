"""Keep the daily files the tests write out of the project's media folder; the small county of the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .fixtures import bureaus_county


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county(db: Any) -> dict[str, Any]:
    return bureaus_county()
