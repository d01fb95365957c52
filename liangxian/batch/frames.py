"""Vectorised expressions shared by batch jobs: frame in, frame out, no ORM and no I/O."""

from __future__ import annotations

from typing import Final

import polars as pl

# GB 11643-1999 MOD 11-2: weight of position i is 2**(17-i) mod 11; the remainder picks the check character.
ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARS: Final = "10X98765432"


def id_check_digit(body: pl.Expr) -> pl.Expr:
    """Compute the MOD 11-2 check character of 17-digit resident ID bodies (GB 11643)."""
    total = pl.sum_horizontal(
        [body.str.slice(i, 1).cast(pl.Int32, strict=False) * weight for i, weight in enumerate(ID_WEIGHTS)]
    )
    return (total % 11).replace_strict(list(range(11)), list(ID_CHECK_CHARS), return_dtype=pl.String)


def id_has_valid_check_digit(id_number: pl.Expr) -> pl.Expr:
    """Tell whether 18-character resident ID numbers end in their MOD 11-2 check character."""
    well_formed = id_number.str.contains(r"^[0-9]{17}[0-9X]$")
    return well_formed & (id_check_digit(id_number.str.slice(0, 17)) == id_number.str.slice(17, 1))
