"""registry.frames: counting a list's persons alone gives what list_frame gives."""

import polars as pl
import pytest

from liangxian.registry import frames

KEYS = ["id_number", "name", "document_type", "phone"]


@pytest.mark.parametrize(
    ("numbers", "documents"),
    [
        (["650101199001011234", "650101199001011234", None, " 650101199001011234 "], [None, None, None, None]),
        (["x1", "X1", "", "x2"], ["护照", None, None, "护照"]),
        (["A", "A", "B", "B"], ["护照", "居民身份证", "护照", "护照"]),
        ([], []),
    ],
)
def test_listed_count_is_the_height_of_list_frame(numbers: list, documents: list) -> None:
    # Given rows as the exchange hands them over: numbers repeated, padded, empty, of several document types
    rows = pl.DataFrame(
        {
            "row_number": list(range(1, len(numbers) + 1)),
            "id_number": numbers,
            "name": ["甲"] * len(numbers),
            "category": [None] * len(numbers),
            "document_type": documents,
            "phone": [None] * len(numbers),
        },
        schema={
            "row_number": pl.Int64,
            "id_number": pl.String,
            "name": pl.String,
            "category": pl.String,
            "document_type": pl.String,
            "phone": pl.String,
        },
    )

    # Then the count alone is the number of persons list_frame gives
    assert frames.listed_count(rows, KEYS) == frames.list_frame(rows, KEYS).height
    # And rows chosen by ID number keep every row of those numbers: list_frame of them is list_frame's own rows
    chosen = rows.filter(frames.listed_number().is_in(["A", "X1", "650101199001011234"]))
    whole = frames.list_frame(rows, KEYS)
    assert frames.list_frame(chosen, KEYS).equals(
        whole.filter(pl.col("id_number").is_in(["A", "X1", "650101199001011234"]))
    )
