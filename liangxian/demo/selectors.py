"""Reads the synthetic county needs: the county's villages with their townships."""

from __future__ import annotations

import polars as pl

from liangxian.core.models import Division, DivisionLevel

from .county import COUNTY_CODE


def demo_villages(*, county: str = COUNTY_CODE) -> pl.DataFrame:
    """Return the county's active villages (village_code, village_name, township_code, township_name)."""
    rows = list(
        Division.objects.filter(level=DivisionLevel.VILLAGE, code__startswith=county, active=True)
        .order_by("code")
        .values_list("code", "name", "parent__code", "parent__name")
    )
    return pl.DataFrame(
        rows,
        schema={
            "village_code": pl.String,
            "village_name": pl.String,
            "township_code": pl.String,
            "township_name": pl.String,
        },
        orient="row",
    )
