"""Administrative division codes: what a code's length says, and loading the NBS table the county edits.

Codes follow the NBS statistical scheme: 2 digits a province (65), 4 a prefecture (6531), 6 a county
(653123), 9 a township-level unit (653123201), 12 a village or community (653123201001). The county's civil
affairs bureau is the authority: rows it edits in the admin keep its edits when the file is loaded again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from django.db import transaction
from django.utils.translation import gettext

from .audit import audit_record
from .models import Division, DivisionLevel

if TYPE_CHECKING:
    from liangxian.org.models import User

DIVISIONS_SOURCE = "NBS 2023 via china-division 2.7.0"
# Rows the county edits in the admin get a source starting with this, so a reload keeps them.
COUNTY_EDIT_SOURCE = "county civil affairs edit"
DEFAULT_FILE = Path(__file__).resolve().parent / "fixtures" / "divisions-kashgar-6531.csv"
# The file starts at the prefecture; its province is created from here.
PROVINCES = {"65": "新疆维吾尔自治区"}
LEVEL_BY_LENGTH: dict[int, str] = {
    2: DivisionLevel.PROVINCE,
    4: DivisionLevel.PREFECTURE,
    6: DivisionLevel.COUNTY,
    9: DivisionLevel.TOWNSHIP,
    12: DivisionLevel.VILLAGE,
}
PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}
COLUMNS = ("code", "name", "level", "parent")


class DivisionLoadError(Exception):
    """The division file cannot be loaded as it is; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def level_of_code(code: str) -> str:
    """Return the level a division code's length stands for; raise ValueError for a malformed code."""
    if not code.isascii() or not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
        raise ValueError(f"not a division code: {code!r}")
    return LEVEL_BY_LENGTH[len(code)]


def county_of(code: str) -> str | None:
    """Return the county code a division or resident area code lies in, or None above county level."""
    return code[:6] if len(code) >= 6 and code[:6].isdigit() else None


def township_of(code: str) -> str | None:
    """Return the township-level code a division code lies in, or None above township level."""
    return code[:9] if len(code) >= 9 and code[:9].isdigit() else None


def parent_of(code: str) -> str | None:
    """Return the code of the division one level up, or None for a province."""
    length = PARENT_LENGTH.get(len(code))
    return code[:length] if length else None


def known_county_codes() -> frozenset[str]:
    """Return the codes of the counties in the division table."""
    return frozenset(Division.objects.filter(level=DivisionLevel.COUNTY).values_list("code", flat=True))


@dataclass(frozen=True)
class DivisionLoadResult:
    """What a load of the division file did."""

    file_sha256: str
    rows: int
    created: int
    updated: int
    unchanged: int
    kept_edits: int


def _read(path: Path) -> pl.DataFrame:
    """Read the file as text columns and reject it whole if any row breaks the code scheme."""
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DivisionLoadError("division_file_unreadable", str(exc)) from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DivisionLoadError(
            "division_file_columns",
            gettext("The file lacks the columns: %(columns)s") % {"columns": ", ".join(missing)},
        )
    frame = frame.select([pl.col(c).fill_null("").str.strip_chars().alias(c) for c in COLUMNS]).with_columns(
        pl.col("code").str.len_chars().alias("length")
    )
    expected_level = pl.col("length").replace_strict(LEVEL_BY_LENGTH, default="", return_dtype=pl.String)
    expected_parent = (
        pl.when(pl.col("length") > 2)
        .then(pl.col("code").str.slice(0, pl.col("length").replace_strict(PARENT_LENGTH, default=0)))
        .otherwise(pl.lit(""))
    )
    bad = frame.filter(
        ~pl.col("code").str.contains(r"^\d+$")
        | (pl.col("name") == "")
        | (pl.col("level") != expected_level)
        | (pl.col("parent") != expected_parent)
        | pl.col("code").is_duplicated()
    )
    if bad.height:
        raise DivisionLoadError(
            "division_file_invalid",
            gettext("%(n)s rows break the division code scheme, e.g. %(codes)s")
            % {"n": bad.height, "codes": ", ".join(bad["code"].head(5).to_list())},
        )
    return frame.drop("length")


def divisions_load(
    *, actor: User | None, path: Path | None = None, county: str | None = None, overwrite_edits: bool = False
) -> DivisionLoadResult:
    """Load the NBS division table (or one county of it), keeping the county's own edits unless told not to."""
    path = path or DEFAULT_FILE
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    frame = _read(path)
    if county is not None:
        if county not in frame["code"].to_list():
            raise DivisionLoadError(
                "division_county_unknown", gettext("County %(code)s is not in the file.") % {"code": county}
            )
        ancestors = [county[:4], county[:2]]
        frame = frame.filter(pl.col("code").str.starts_with(county) | pl.col("code").is_in(ancestors))
    # The province is not in the file: add it above the rows that name it.
    present = set(frame["code"].to_list())
    for province in sorted({p for p in frame["parent"].to_list() if len(p) == 2} - present):
        if province not in PROVINCES:
            raise DivisionLoadError(
                "division_province_unknown", gettext("Province %(code)s is unknown.") % {"code": province}
            )
        frame = pl.concat(
            [
                pl.DataFrame(
                    {"code": [province], "name": [PROVINCES[province]], "level": ["province"], "parent": [""]}
                ),
                frame,
            ]
        )
    frame = frame.sort([pl.col("code").str.len_chars(), "code"])
    with transaction.atomic():
        existing = {d.code: d for d in Division.objects.select_for_update().filter(code__in=frame["code"].to_list())}
        to_create: list[Division] = []
        to_update: list[Division] = []
        unchanged = kept = 0
        for code, name, level, parent in frame.select(COLUMNS).iter_rows():
            parent_id = parent or None
            row = existing.get(code)
            if row is None:
                to_create.append(
                    Division(code=code, name=name, level=level, parent_id=parent_id, source=DIVISIONS_SOURCE)
                )
                continue
            if row.source.startswith(COUNTY_EDIT_SOURCE) and not overwrite_edits:
                kept += 1
                continue
            if (row.name, row.level, row.parent_id, row.source) == (name, level, parent_id, DIVISIONS_SOURCE):
                unchanged += 1
                continue
            row.name, row.level, row.parent_id, row.source = name, level, parent_id, DIVISIONS_SOURCE
            to_update.append(row)
        Division.objects.bulk_create(to_create, batch_size=1000)
        Division.objects.bulk_update(to_update, ["name", "level", "parent", "source"], batch_size=1000)
        result = DivisionLoadResult(
            file_sha256=digest,
            rows=frame.height,
            created=len(to_create),
            updated=len(to_update),
            unchanged=unchanged,
            kept_edits=kept,
        )
        if to_create or to_update:
            audit_record(
                actor=actor,
                action="divisions.load",
                object_type="core.division",
                object_id=county or "",
                payload={
                    "file": path.name,
                    "sha256": digest,
                    "source": DIVISIONS_SOURCE,
                    "county": county,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "kept_edits": result.kept_edits,
                    "overwrite_edits": overwrite_edits,
                },
            )
    return result


def division_save(*, actor: User, division: Division, changed_fields: list[str]) -> Division:
    """Save a division the county's civil affairs bureau added or edited, marking it as the county's own."""
    with transaction.atomic():
        creating = division._state.adding
        division.source = f"{COUNTY_EDIT_SOURCE} ({actor.get_username()})"[:200]
        division.save()
        audit_record(
            actor=actor,
            action="division.create" if creating else "division.change",
            obj=division,
            payload={
                "changed": changed_fields,
                "name": division.name,
                "level": division.level,
                "parent": division.parent_id,
                "active": division.active,
            },
        )
    return division
