"""Load the synthetic county into the residents' register in one transaction, replacing the previous one."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import IntegrityError, connections, transaction
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, fetch_frame, large_cache
from liangxian.core.models import Division
from liangxian.core.sealing import seal_batch
from liangxian.registry.models import DocumentType, Household, Person

from .county import County

if TYPE_CHECKING:
    from liangxian.core.models import AuditEvent
    from liangxian.org.models import User

DEMO_SOURCE = "synthetic demo (公安户籍)"
DEMO_BATCH_PREFIX = "demo-"


class DemoDataError(Exception):
    """The synthetic county cannot be loaded."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class DemoLoad:
    """What a load of the synthetic county did."""

    batch: str
    persons: int
    households: int
    replaced_persons: int
    replaced_households: int
    audit_seq: int
    seconds: float


def register_frames(county: County) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Shape the county's households and persons as rows of the register's tables (household by number)."""
    households = county.households.select(
        pl.col("number"),
        pl.col("village_code").alias("village_id"),
        pl.col("address"),
        pl.lit(DEMO_SOURCE).alias("source"),
    )
    persons = county.persons.select(
        pl.lit(DocumentType.RESIDENT_ID.value).alias("id_type"),
        pl.col("id_number"),
        pl.col("name"),
        pl.col("name").alias("name_original"),
        pl.col("sex"),
        pl.col("birth_date"),
        pl.col("phone").fill_null(""),
        pl.col("number").alias("household_number"),
        pl.col("relation"),
        pl.col("township_code"),
        pl.col("village_code"),
        pl.col("status"),
        pl.col("status_date"),
        pl.lit(DEMO_SOURCE).alias("source"),
        pl.lit(county.batch).alias("batch"),
    )
    return households, persons


def demo_county_load(*, actor: User | None, county: County, using: str = "default") -> DemoLoad:
    """Replace the synthetic county in the register with this one; one transaction, sealed in the audit chain."""
    started = time.perf_counter()
    villages = county.households["village_code"].unique().to_list()
    known = Division.objects.using(using).filter(code__in=villages).count()
    if known != len(villages):
        raise DemoDataError(
            _(
                "%(missing)s villages of the synthetic county are not in the division table: "
                "run “liangxian divisions load” first."
            )
            % {"missing": len(villages) - known},
            code="divisions_missing",
        )
    households, persons = register_frames(county)
    try:
        event, replaced_persons, replaced_households = _replace(actor, county, households, persons, using)
    except IntegrityError as exc:
        # Rows of other apps (payments, roster entries) point at the previous demo residents.
        raise DemoDataError(
            _("The previous synthetic county is in use by other records and cannot be replaced: %(error)s")
            % {"error": exc},
            code="demo_rows_in_use",
        ) from exc
    return DemoLoad(
        batch=county.batch,
        persons=persons.height,
        households=households.height,
        replaced_persons=max(replaced_persons, 0),
        replaced_households=max(replaced_households, 0),
        audit_seq=event.seq,
        seconds=time.perf_counter() - started,
    )


def _replace(
    actor: User | None, county: County, households: pl.DataFrame, persons: pl.DataFrame, using: str
) -> tuple[AuditEvent, int, int]:
    connection = connections[using]
    quote = connection.ops.quote_name
    person_table, household_table = quote(Person._meta.db_table), quote(Household._meta.db_table)
    with transaction.atomic(using=using), large_cache(using):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT batch FROM {person_table} WHERE batch LIKE %s AND source = %s",  # noqa: S608
                [DEMO_BATCH_PREFIX + "%", DEMO_SOURCE],
            )
            earlier = sorted(row[0] for row in cursor.fetchall())
            # One synthetic county at a time: whatever seed or size loaded the last one, it goes.
            cursor.execute(
                f"DELETE FROM {person_table} WHERE batch LIKE %s AND source = %s",  # noqa: S608 - quoted names
                [DEMO_BATCH_PREFIX + "%", DEMO_SOURCE],
            )
            replaced_persons = cursor.rowcount
            cursor.execute(
                f"DELETE FROM {household_table} WHERE source = %s",  # noqa: S608 - quoted names
                [DEMO_SOURCE],
            )
            replaced_households = cursor.rowcount
        # Foreign keys are deferred to commit; check them now, so a county still in use fails here with its reason.
        connection.check_constraints()
        # Seal each removed batch again, empty: the chain records the removal, and the earlier seal is superseded.
        for batch in earlier:
            if batch != county.batch:
                seal_batch(
                    actor=actor,
                    model=Person,
                    batch_id=batch,
                    action="demo_data.remove",
                    payload={"replaced_by": county.batch, "source": DEMO_SOURCE},
                )
        bulk_insert(Household, households, using=using)
        ids = fetch_frame(
            f"SELECT id, number FROM {household_table} WHERE source = %s",  # noqa: S608 - quoted names
            [DEMO_SOURCE],
            schema={"household_id": pl.Int64, "household_number": pl.String},
            using=using,
        )
        # In ID order the unique index grows at its end instead of splitting pages all over.
        persons = persons.join(ids, on="household_number", how="left").drop("household_number").sort("id_number")
        bulk_insert(Person, persons, using=using)
        event = seal_batch(
            actor=actor,
            model=Person,
            batch_id=county.batch,
            action="demo_data.load",
            payload={
                "seed": county.seed,
                "as_of": county.as_of.isoformat(),
                "persons": persons.height,
                "households": households.height,
                "replaced_persons": replaced_persons,
                "replaced_households": replaced_households,
                "source": DEMO_SOURCE,
            },
        )
    return event, replaced_persons, replaced_households


def county_counts(county: County) -> dict[str, Any]:
    """Count the county's persons and households by status and by category."""
    p, h = county.persons, county.households
    status = dict(p.group_by("status").len().sort("status").iter_rows())
    return {
        "seed": county.seed,
        "batch": county.batch,
        "as_of": county.as_of.isoformat(),
        "persons": p.height,
        "households": h.height,
        "villages": int(p["village_code"].n_unique()),
        "by_status": status,
        "by_category": {
            "uyghur_names": int((p["ethnicity"] == "维吾尔族").sum()),
            "han_names": int((p["ethnicity"] == "汉族").sum()),
            "students": int(p["student"].sum()),
            "disabled": int(p["disabled"].sum()),
            "special_hardship": int(p["special_hardship"].sum()),
            "orphans": int(p["orphan"].sum()),
            "employee_scheme": int(p["employee_scheme"].sum()),
            "with_phone": int(p["phone"].is_not_null().sum()),
            "minimum_allowance_households": int(h["minimum_allowance"].sum()),
            "minimum_allowance_persons": int(p["minimum_allowance"].sum()),
            "monitored_households": int(h["monitored"].sum()),
            "monitored_persons": int(p["monitored"].sum()),
        },
    }
