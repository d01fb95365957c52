from __future__ import annotations

from pathlib import Path

import pytest

from liangxian.demo.county import County, county_generate, villages_from_csv

SMALL = 2000


@pytest.fixture(scope="session")
def villages():
    return villages_from_csv()


@pytest.fixture(scope="session")
def small_county(villages) -> County:
    return county_generate(persons=SMALL, seed=7, villages=villages)


@pytest.fixture(scope="session")
def written_files(tmp_path_factory, small_county) -> tuple[Path, dict]:
    from liangxian.demo.files import department_files_write

    out = tmp_path_factory.mktemp("demo-files")
    manifest = department_files_write(small_county, out)
    return out, manifest


@pytest.fixture
def divisions(db):
    from liangxian.core.divisions import divisions_load

    divisions_load(actor=None, county="653123")
