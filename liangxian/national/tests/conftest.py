"""One Spark session for the whole test run (local mode, two cores), skipped only where there is no Java."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liangxian.national.jobs import java_available


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if not java_available():
        pytest.skip("Spark needs a Java runtime (17 or later) and none is installed here")
    from liangxian.national.jobs import spark_session

    session = spark_session(master="local[2]", driver_memory="1g")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _media_and_data_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LIANGXIAN_NATIONAL_DATA = str(tmp_path / "national")
