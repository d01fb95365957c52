"""Keep what the tests write out of the project's media folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def county(monkeypatch: Any) -> dict[str, Any]:
    """The small assessed county of ``fixtures``, with the screening findings patched in."""
    from .fixtures import assessed_county, patch_screening

    data = assessed_county()
    patch_screening(monkeypatch, data["collector"].pk)
    return data
