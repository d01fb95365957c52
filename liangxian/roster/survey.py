"""The village survey (摸排, Art 17, 29): what a township's survey in force says of its residents, for the next build.

When a township's survey list comes into force (``exchange.signals.list_in_force``; the register has already
applied it as a category list), the survey marks of the township for the next campaign are replaced in the same
transaction, in bulk:

- ``added``: persons the survey found and the register lacks. They are created in the register (source
  村级摸排, status active, the survey's village) as one sealed load batch and marked;
- ``gone``: persons the survey says are dead or moved away. Public security remains the authority for status
  (Art 12): the register is not changed, police is asked to verify them (a ``registry.VerificationRequest``);
- ``cash_only``: residents who can pay by no channel but cash (仅能现金缴费 = 是, Art 29).

The roster build reads the open marks (``until`` null) of the campaign.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert
from liangxian.campaigns.models import Campaign
from liangxian.core import idnumbers
from liangxian.core.access import access_log
from liangxian.core.audit import audit_record
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, ScopeError
from liangxian.core.sealing import seal_batch
from liangxian.org.models import Department, Unit, UnitKind
from liangxian.registry import frames as register_frames
from liangxian.registry.models import Person, PersonFact
from liangxian.registry.services import CREATION_FACT, dataset_keys, read_frame, verification_request_create

from .models import SurveyMark

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.exchange.models import Submission
    from liangxian.org.models import User

log = logging.getLogger(__name__)

DATASET: Final = "township.village_survey"
SOURCE: Final = "村级摸排"
# A survey counts for the campaign whose concentrated period starts within this many days (or is running).
LEAD_DAYS: Final = 120
STATUS_KEY: Final = "survey_status"
# The survey's status words (摸排情况) and what each means for the register.
STATUS_WORDS: Final[dict[str, str]] = {
    "在村": "present",
    "正常": "present",
    "长期外出": "present",  # away for work or study: still a resident who must pay
    "外出": "present",
    "新增": "added",
    "已死亡": "dead",
    "死亡": "dead",
    "已迁出": "moved",
    "迁出": "moved",
}
GONE_NOTES: Final = {"dead": "已死亡", "moved": "已迁出"}
MARKS: Final = ("cash_only", "gone", "added")
YES: Final = ("是", "Y", "y", "yes", "1", "√")
_IN_CHUNK = 500


@dataclass
class SurveyResult:
    """What applying one survey did: marks opened and closed, persons added, the police request."""

    submission_id: int
    campaign: int | None = None
    rows: int = 0
    closed: int = 0
    cash_only: int = 0
    gone: int = 0
    added: int = 0
    unplaced: int = 0
    verification_request: int | None = None
    unmatched_gone: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def survey_campaign(on: date) -> Campaign | None:
    """Return the campaign a survey made on this day serves: the next one (or the one running), if any."""
    return (
        Campaign.objects.filter(period_end__gte=on, period_start__lte=on + timedelta(days=LEAD_DAYS))
        .exclude(status="closed")
        .order_by("period_start")
        .first()
    )


def _extra_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """The survey's own columns (cash only, status, remark) by row number, from either form of the rows."""
    keys = ("cash_only", STATUS_KEY, "remark")
    if "data" in rows.columns:
        decoded = rows.select(
            "row_number", pl.col("data").str.json_decode(pl.Struct(dict.fromkeys(keys, pl.String))).alias("_d")
        )
        frame = decoded.select("row_number", *[pl.col("_d").struct.field(k).alias(k) for k in keys])
    else:
        frame = rows.select(
            "row_number",
            *[
                (pl.col(k).cast(pl.String) if k in rows.columns else pl.lit(None, dtype=pl.String)).alias(k)
                for k in keys
            ],
        )
    status = pl.col(STATUS_KEY).str.strip_chars()
    return frame.select(
        pl.col("row_number").cast(pl.Int64),
        pl.col("cash_only").str.strip_chars().is_in(list(YES)).fill_null(False).alias("cash_only"),
        status.replace_strict(list(STATUS_WORDS), list(STATUS_WORDS.values()), default="present")
        .fill_null("present")
        .alias("state"),
        pl.col("remark").fill_null("").str.slice(0, 100).alias("remark"),
    )


def _stored_rows(submission: Submission, using: str) -> pl.DataFrame:
    from liangxian.exchange.models import SubmissionRow

    table = connections[using].ops.quote_name(SubmissionRow._meta.db_table)
    return read_frame(
        f"SELECT row_number, id_number, name, category, CAST(data AS TEXT) FROM {table} "  # noqa: S608 - quoted name
        "WHERE submission_id = %s AND outcome IN (%s, %s)",
        [submission.pk, "accepted", "repaired"],
        schema={
            "row_number": pl.Int64,
            "id_number": pl.String,
            "name": pl.String,
            "category": pl.String,
            "data": pl.String,
        },
        using=using,
    ).sort("row_number")


def _register(numbers: list[str], using: str) -> pl.DataFrame:
    """Fetch the register's person id and village of these ID numbers."""
    table = connections[using].ops.quote_name(Person._meta.db_table)
    schema = {"person_id": pl.Int64, "id_type": pl.String, "id_number": pl.String, "reg_village": pl.String}
    parts = [pl.DataFrame(schema=schema)]
    for start in range(0, len(numbers), _IN_CHUNK):
        chunk = numbers[start : start + _IN_CHUNK]
        marks = ", ".join("%s" for _ in chunk)
        parts.append(
            read_frame(
                f"SELECT id, id_type, id_number, village_code FROM {table} WHERE id_number IN ({marks})",  # noqa: S608
                chunk,
                schema=schema,
                using=using,
            )
        )
    return pl.concat(parts)


def _village_lookup(township_code: str, using: str) -> pl.DataFrame:
    rows = list(
        Division.objects.using(using)
        .filter(level=DivisionLevel.VILLAGE, parent_id=township_code)
        .values_list("code", "name", "parent__name")
    )
    frame = pl.DataFrame(rows, schema={"code": pl.String, "name": pl.String, "township_name": pl.String}, orient="row")
    return register_frames.village_lookup(frame)


def survey_frame(
    rows: pl.DataFrame, keys: list[str], *, township_code: str, township_name: str, using: str
) -> pl.DataFrame:
    """Turn a survey's rows into register terms with its own columns, each placed in a village of the township."""
    listed = register_frames.list_frame(rows, keys).with_columns(
        pl.lit(township_name, dtype=pl.String).alias("township")
    )
    listed = register_frames.resolve_villages(listed, _village_lookup(township_code, using))
    return listed.join(_extra_columns(rows), on="row_number", how="left").with_columns(
        pl.col("cash_only").fill_null(False), pl.col("state").fill_null("present"), pl.col("remark").fill_null("")
    )


def survey_apply(
    *, actor: User | None, submission: Submission, rows: pl.DataFrame | None = None, using: str = "default"
) -> SurveyResult | None:
    """Replace the township's survey marks for the next campaign from its survey now in force (Art 17, 29).

    Returns None (and logs why) when no campaign is near: a survey serves the campaign whose period starts
    within ``LEAD_DAYS`` days or is running.
    """
    result = SurveyResult(submission_id=submission.pk)
    now = timezone.now()
    campaign = survey_campaign(timezone.localdate(submission.in_force_at or now))
    if campaign is None:
        log.info("village survey %s: no campaign starts within %s days; no marks made", submission.pk, LEAD_DAYS)
        return None
    result.campaign = campaign.coverage_year
    unit = submission.unit
    township_code = (unit.division_id or "")[:9]
    township = Division.objects.using(using).filter(code=township_code).first()
    keys = dataset_keys(submission.dataset)
    with transaction.atomic(using=using):
        if rows is None:
            rows = _stored_rows(submission, using)
        surveyed = survey_frame(
            rows, keys, township_code=township_code, township_name=township.name if township else "", using=using
        )
        result.rows = surveyed.height
        register = _register(surveyed["id_number"].unique().to_list(), using)
        joined = surveyed.join(register, on=["id_type", "id_number"], how="left")
        leaving = pl.col("state").is_in(["dead", "moved"])
        missing = joined.filter(pl.col("person_id").is_null() & ~leaving)
        placeable = pl.col("village_code").is_not_null() & pl.col("name").is_not_null()
        result.unplaced = missing.filter(~placeable).height
        added = _add_persons(submission, missing.filter(placeable), now, using)
        result.added = added.height
        found = joined.filter(pl.col("person_id").is_not_null()).with_columns(
            pl.col("reg_village").alias("mark_village")
        )
        gone = found.filter(leaving)
        result.unmatched_gone = joined.filter(pl.col("person_id").is_null() & leaving)["id_number"].head(100).to_list()
        present = pl.concat(
            [
                found.filter(~leaving).select("person_id", "mark_village", "cash_only", "remark"),
                added.select("person_id", "mark_village", "cash_only", "remark"),
            ]
        )
        marks = pl.concat(
            [
                present.filter(pl.col("cash_only")).select(
                    "person_id", "mark_village", pl.lit("cash_only").alias("mark"), pl.col("remark").alias("note")
                ),
                gone.select(
                    "person_id",
                    "mark_village",
                    pl.lit("gone").alias("mark"),
                    pl.col("state").replace_strict(GONE_NOTES, default="").alias("note"),
                ),
                added.select("person_id", "mark_village", pl.lit("added").alias("mark"), pl.lit(SOURCE).alias("note")),
                # A person an earlier version added stays "added" while the survey still finds him in the village.
                found.filter(~leaving & pl.col("person_id").is_in(_open_added(campaign, township_code, using))).select(
                    "person_id", "mark_village", pl.lit("added").alias("mark"), pl.lit(SOURCE).alias("note")
                ),
            ]
        ).unique(["person_id", "mark"], keep="first", maintain_order=True)
        result.cash_only = marks.filter(pl.col("mark") == "cash_only").height
        result.gone = gone.height
        result.closed = (
            SurveyMark.objects.using(using)
            .filter(campaign=campaign, township_code=township_code, until__isnull=True)
            .update(until=now)
        )
        if marks.height:
            bulk_insert(
                SurveyMark,
                marks.select(
                    pl.lit(campaign.pk, dtype=pl.Int64).alias("campaign_id"),
                    "person_id",
                    "mark",
                    pl.col("note").fill_null("").str.slice(0, 200),
                    pl.lit(submission.pk, dtype=pl.Int64).alias("submission_id"),
                    pl.lit(township_code).alias("township_code"),
                    pl.col("mark_village").alias("village_code"),
                    pl.lit(now).dt.convert_time_zone("UTC").alias("since"),
                ),
                using=using,
            )
        if gone.height:
            result.verification_request = _ask_police(actor or submission.submitted_by, submission, gone, campaign)
        audit_record(
            actor=actor,
            action="roster.survey_apply",
            object_type="exchange.submission",
            object_id=str(submission.pk),
            payload={"township": township_code, **{k: v for k, v in result.as_dict().items() if k != "submission_id"}},
        )
    return result


def _open_added(campaign: Campaign, township_code: str, using: str) -> list[int]:
    """Return the persons the township's survey in force had added for the campaign (before it is replaced)."""
    return list(
        SurveyMark.objects.using(using)
        .filter(campaign=campaign, township_code=township_code, mark="added", until__isnull=True)
        .values_list("person_id", flat=True)
    )


def _add_persons(submission: Submission, new: pl.DataFrame, now: datetime, using: str) -> pl.DataFrame:
    """Create the persons missing from the register as one sealed batch; return them with their new ids."""
    empty = new.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("person_id"), pl.col("village_code").alias("mark_village")
    ).clear()
    if new.is_empty():
        return empty
    batch = f"survey-{submission.pk}"
    persons = register_frames.person_rows(new, source=SOURCE, batch=batch)
    bulk_insert(Person, persons, using=using)
    table = connections[using].ops.quote_name(Person._meta.db_table)
    ids = read_frame(
        f"SELECT id, id_number FROM {table} WHERE batch = %s",  # noqa: S608 - quoted name
        [batch],
        schema={"person_id": pl.Int64, "id_number": pl.String},
        using=using,
    )
    bulk_insert(
        PersonFact,
        ids.select(
            "person_id",
            pl.lit(CREATION_FACT).alias("field"),
            pl.lit("").alias("value"),
            pl.lit(submission.pk, dtype=pl.Int64).alias("submission_id"),
            pl.lit(None, dtype=pl.Int64).alias("change_request_id"),
            pl.lit(f"{SOURCE} #{submission.pk}"[:80]).alias("source"),
            pl.lit(now).dt.convert_time_zone("UTC").alias("recorded_at"),
            pl.lit(True).alias("current"),
        ),
        using=using,
    )
    seal_batch(
        actor=None,
        model=Person,
        batch_id=batch,
        action="register.load",
        payload={"submission": submission.pk, "dataset": DATASET, "persons": persons.height},
    )
    return (
        new.drop("person_id", "reg_village", strict=False)
        .join(ids, on="id_number", how="inner")
        .with_columns(pl.col("village_code").alias("mark_village"))
    )


def _ask_police(actor: User, submission: Submission, gone: pl.DataFrame, campaign: Campaign) -> int | None:
    """Ask public security to verify the persons the survey says are dead or moved away (Art 12)."""
    police = Unit.objects.filter(kind=UnitKind.DEPARTMENT, department=Department.POLICE, active=True).first()
    if police is None or actor.unit_id is None or actor.unit_id == police.pk:
        log.warning("village survey %s: no police unit or acting unit; no verification asked", submission.pk)
        return None
    dead = gone.filter(pl.col("state") == "dead").height
    question = _(
        "The village survey of %(township)s for %(campaign)s reports %(dead)s persons dead and %(moved)s moved "
        "away. Please verify their household registration status."
    ) % {"township": submission.unit.name, "campaign": campaign, "dead": dead, "moved": gone.height - dead}
    request = verification_request_create(
        actor=actor, target=police, question=question, id_numbers=gone["id_number"].to_list()
    )
    return request.pk


def survey_on_list_in_force(
    sender: object, *, actor: User | None, submission: Submission, rows: pl.DataFrame | None = None, **kwargs: object
) -> None:
    """Apply a township's survey the moment it comes into force (receiver of exchange.signals.list_in_force)."""
    if submission.dataset_id != DATASET:
        return
    survey_apply(actor=actor, submission=submission, rows=rows)


# ---------------------------------------------------------------------------------------------------- reading


def survey_marks(
    *,
    actor: Actor,
    campaign: Campaign,
    township_code: str,
    mark: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> QuerySet[SurveyMark]:
    """Return the open survey marks of a township for the campaign, logged; raise ScopeError outside the duty."""
    allowed = (actor.unit_kind == UnitKind.TOWNSHIP and actor.division_code[:9] == township_code) or (
        actor.unit_kind == UnitKind.DEPARTMENT
        and actor.department in (Department.TAX, Department.MEDICAL, Department.SOCIAL)
    )
    if not allowed:
        access_log(
            actor=actor,
            action=AccessAction.DENIED,
            object_type="roster.surveymark",
            query=township_code,
            request=request,
            channel=channel,
        )
        raise ScopeError(township_code)
    qs = SurveyMark.objects.filter(campaign=campaign, township_code=township_code, until__isnull=True)
    if mark in MARKS:
        qs = qs.filter(mark=mark)
    qs = qs.select_related("person").order_by("mark", "village_code", "person__name", "pk")
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="roster.surveymark",
        count=qs.count(),
        duty=actor.resident_duty or "none",
        query=f"{campaign.coverage_year} {township_code} {mark}".strip(),
        request=request,
        channel=channel,
    )
    return qs


def mask_for(actor: Actor, number: str) -> str:
    """Show an ID number whole only where the duty needs it."""
    return number if actor.sees_full_id else idnumbers.mask(number)
