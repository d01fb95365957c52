"""Build the roster of a campaign from the register, the lists in force and the village survey (Art 7, 16-17, 27).

``roster_build`` reads the register, the open categories, the campaign's survey marks and current entries as
frames, computes the roster in Polars (``roster.frames``), compares it with the current entries and applies the
difference in bulk — new entries inserted, changed ones updated, removed ones deleted, each recorded as a
``RosterChange`` — in one transaction with its audit event. Rebuilding with nothing changed changes nothing.
A failure rolls everything back and leaves a failed ``RosterBuild`` with the error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert, large_cache, temp_table
from liangxian.campaigns.models import Campaign, ContributionTier, DaijiaoRule, EligibilityRule, InsuranceType
from liangxian.core.audit import audit_record
from liangxian.registry.models import Person, PersonCategory
from liangxian.registry.services import read_frame

from . import frames, rules
from .models import BuildStatus, ChangeKind, RosterBuild, RosterChange, RosterEntry, SurveyMark

if TYPE_CHECKING:
    from liangxian.org.models import User

CURRENT_SCHEMA: dict[str, Any] = {"id": pl.Int64} | frames.ROSTER_SCHEMA
# Above this many persons in the register the build reads, computes and writes one township at a time (in the same
# transaction), so that memory follows the largest township rather than the whole register.
STREAM_ABOVE = 1_000_000
_TEMP_TYPES: Final = dict.fromkeys(
    ("id", "person_id", "build_id", "amount_fen", "gov_fen", "own_fen", "subsidy_fen"), "bigint"
)


class RosterBuildError(Exception):
    """A roster build refused or failed; ``code`` says why, ``message`` says it to the clerk."""

    def __init__(self, code: str, message: str, build: RosterBuild | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.build = build


def campaign_rules(campaign: Campaign) -> list[rules.InsuranceRules]:
    """Read the campaign's tiers, eligibility and 代缴 rules for each insurance type it has tiers for."""
    tiers = list(ContributionTier.objects.filter(campaign=campaign).order_by("insurance", "amount_fen"))
    eligibility = {e.insurance: e for e in EligibilityRule.objects.filter(campaign=campaign)}
    daijiao = list(DaijiaoRule.objects.filter(campaign=campaign).order_by("insurance", "priority", "category"))
    specs = []
    for insurance in InsuranceType.values:
        own = [rules.Tier(t.amount_fen, t.subsidy_fen, t.is_default) for t in tiers if t.insurance == insurance]
        if not own:
            continue
        rule = eligibility.get(insurance)
        if rule is None:
            raise RosterBuildError(
                "no_eligibility",
                _("The campaign has tiers for %(insurance)s but no eligibility rule: complete the campaign first.")
                % {"insurance": InsuranceType(insurance).label},
            )
        specs.append(
            rules.InsuranceRules(
                insurance=insurance,
                eligibility=rules.Eligibility(
                    min_age=rule.min_age,
                    max_age=rule.max_age,
                    age_on=rule.age_on or "01-01",
                    over_age_reason=rule.over_age_reason,
                    exclude_categories=tuple(rule.exclude_categories or ()),
                    exclude_statuses=tuple(rule.exclude_statuses or ()),
                    require_local_household=rule.require_local_household,
                ),
                tiers=tuple(own),
                daijiao=tuple(
                    rules.Daijiao(
                        category=d.category,
                        mode=d.mode,
                        amount_fen=d.amount_fen,
                        priority=d.priority,
                        details=tuple(str(x) for x in (d.details or ())),
                        label=d.label,
                    )
                    for d in daijiao
                    if d.insurance == insurance
                ),
            )
        )
    if not specs:
        raise RosterBuildError(
            "no_tiers", _("The campaign has no contribution amounts yet: set them before building the roster.")
        )
    return specs


def _table(model: Any, using: str) -> str:
    return str(connections[using].ops.quote_name(model._meta.db_table))


def _in_township(alias: str, township: str | None, using: str) -> tuple[str, str, list[str]]:
    """Return (join, condition, params) limiting a query to the persons registered in one township (or all)."""
    if township is None:
        return "", "", []
    person = _table(Person, using)
    return f" JOIN {person} AS p ON p.id = {alias}.person_id", " AND p.township_code = %s", [township]


def read_persons(using: str = "default", *, township: str | None = None) -> pl.DataFrame:
    """Read the register's persons (one township's or all) as the build needs them."""
    where, params = ("WHERE township_code = %s", [township]) if township is not None else ("", [])
    return read_frame(
        "SELECT id, CAST(birth_date AS TEXT), status, township_code, village_code "  # noqa: S608 - quoted name
        f"FROM {_table(Person, using)} {where}",
        params,
        schema=frames.PERSON_SCHEMA,
        using=using,
    )


def read_lists(
    campaign: Campaign, using: str = "default", *, township: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the open categories and the campaign's open survey marks (of one township's persons, or all)."""
    join, condition, extra = _in_township("c", township, using)
    categories = read_frame(
        f"SELECT c.person_id, c.category, c.detail FROM {_table(PersonCategory, using)} AS c{join} "  # noqa: S608
        f"WHERE c.until IS NULL{condition}",
        extra,
        schema=frames.CATEGORY_SCHEMA,
        using=using,
    )
    join, condition, extra = _in_township("m", township, using)
    marks = read_frame(
        f"SELECT m.person_id, m.mark FROM {_table(SurveyMark, using)} AS m{join} "  # noqa: S608 - quoted names
        f"WHERE m.campaign_id = %s AND m.until IS NULL{condition}",
        [campaign.pk, *extra],
        schema=frames.MARK_SCHEMA,
        using=using,
    )
    return categories, marks


def read_inputs(
    campaign: Campaign, using: str = "default", *, township: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Read the register, the open lists and the campaign's open survey marks as frames (one township or all)."""
    return (read_persons(using, township=township), *read_lists(campaign, using, township=township))


def read_current(campaign: Campaign, using: str = "default", *, township: str | None = None) -> pl.DataFrame:
    """Read the campaign's current entries as a frame (ROSTER_SCHEMA plus ``id``), of one township's persons or all.

    By township means the persons' township in the register now, so a person who moved keeps his entry in view.
    """
    columns = ", ".join(
        f"CAST(e.{c} AS INTEGER)" if CURRENT_SCHEMA[c] == pl.Boolean else f"e.{c}" for c in CURRENT_SCHEMA if c != "id"
    )
    schema = {k: (pl.Int64 if v == pl.Boolean else v) for k, v in CURRENT_SCHEMA.items()}
    join, condition, extra = _in_township("e", township, using)
    current = read_frame(
        f"SELECT e.id, {columns} FROM {_table(RosterEntry, using)} AS e{join} "  # noqa: S608 - quoted names
        f"WHERE e.campaign_id = %s{condition}",
        [campaign.pk, *extra],
        schema=schema,
        using=using,
    )
    return current.with_columns(pl.col("must_pay").cast(pl.Boolean), pl.col("cash_only").cast(pl.Boolean))


def _townships(using: str) -> list[str | None]:
    """Split the build by township when the register is large (prefecture scale); else one pass over it all."""
    persons = Person.objects.using(using).count()
    if persons <= STREAM_ABOVE:
        return [None]
    return [
        str(code) for code in Person.objects.using(using).values_list("township_code", flat=True).distinct().order_by()
    ]


def _sources(campaign: Campaign, using: str) -> dict[str, list[int]]:
    """Name the submissions in force the build read, by dataset code."""
    pairs = (
        PersonCategory.objects.using(using)
        .filter(until__isnull=True)
        .values_list("dataset", "submission_id")
        .distinct()
        .order_by()
    )
    out: dict[str, list[int]] = {}
    for dataset, submission in pairs:
        out.setdefault(dataset, []).append(submission)
    survey = (
        SurveyMark.objects.using(using)
        .filter(campaign=campaign, until__isnull=True)
        .values_list("submission_id", flat=True)
        .distinct()
        .order_by()
    )
    if survey:
        out.setdefault("township.village_survey", []).extend(survey)
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def roster_counts(roster: pl.DataFrame, persons: int) -> dict[str, Any]:
    """Count the built roster: entries, must pay, not liable, by insurance, reason and 代缴 category."""
    by_insurance: dict[str, Any] = {}
    for (insurance,), part in roster.group_by("insurance", maintain_order=True):
        liable = part.filter(pl.col("must_pay"))
        by_insurance[str(insurance)] = {
            "entries": part.height,
            "must_pay": liable.height,
            "not_liable": part.height - liable.height,
            "by_reason": dict(part.filter(~pl.col("must_pay")).group_by("reason").len().sort("reason").iter_rows()),
            "by_category": dict(
                liable.filter(pl.col("daijiao_category") != "")
                .group_by("daijiao_category")
                .len()
                .sort("daijiao_category")
                .iter_rows()
            ),
            "amount_fen": int(liable["amount_fen"].sum()),
            "gov_fen": int(liable["gov_fen"].sum()),
            "own_fen": int(liable["own_fen"].sum()),
            "subsidy_fen": int(liable["subsidy_fen"].sum()),
            "cash_only": int(part["cash_only"].sum()),
        }
    must_pay = int(roster["must_pay"].sum())
    return {
        "persons": persons,
        "entries": roster.height,
        "must_pay": must_pay,
        "not_liable": roster.height - must_pay,
        "by_insurance": by_insurance,
    }


def counts_add(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Add one township's counts to the total, key by key (numbers summed, nested counts merged)."""
    for key, value in part.items():
        if isinstance(value, dict):
            total[key] = counts_add(dict(total.get(key, {})), value)
        else:
            total[key] = total.get(key, 0) + value
    return total


# Above this share of new rows (new ÷ rows already in the table), the secondary indexes are dropped for the load
# and built again after it: one sort per index instead of a random index insert per row (about half the time).
_REINDEX_SHARE = 1.0


def _secondary_indexes(model: Any, using: str) -> list[tuple[str, str]]:
    """Name the table's indexes that no constraint needs, each with the SQL that creates it again."""
    connection = connections[using]
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Indexes behind UNIQUE constraints have no SQL of their own and stay.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, connection.ops.quote_name(table)],
            )
        else:
            return []
        return [(str(name), str(sql)) for name, sql in cursor.fetchall()]


@contextmanager
def _indexes_deferred(model: Any, using: str, *, enabled: bool) -> Iterator[None]:
    """Drop the secondary indexes for a large load and create them again after it, in the same transaction.

    On failure nothing is recreated here: the transaction's rollback restores them (DDL is transactional on
    SQLite and PostgreSQL). On PostgreSQL the table is locked for the rest of the transaction.
    """
    indexes = _secondary_indexes(model, using) if enabled else []
    connection = connections[using]
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    if indexes and connection.vendor == "postgresql":
        # PostgreSQL builds no index on a table with foreign-key checks pending: run them now, not at commit.
        connection.check_constraints()
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
    if indexes:
        _analyze(model, using)


def _analyze(model: Any, using: str) -> None:
    """Refresh PostgreSQL's statistics of a table after a bulk load (SQLite plans without them)."""
    # Stale statistics describe the table nearly empty: a township's entries would then be found by scanning the
    # whole campaign (about 2 s per township at prefecture size) instead of through the person index.
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _apply(
    campaign: Campaign,
    build: RosterBuild,
    added: pl.DataFrame,
    removed: pl.DataFrame,
    changed: pl.DataFrame,
    *,
    first: bool,
    using: str,
) -> None:
    """Insert, update and delete the entries in bulk and record each change (not on a first build)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    entry_table = _table(RosterEntry, using)
    if added.height:
        bulk_insert(
            RosterEntry,
            added.with_columns(campaign_id=pl.lit(campaign.pk, dtype=pl.Int64), build_id=pl.lit(build.pk)),
            using=using,
        )
    if changed.height:
        values = changed.drop("fields", "person_id", "insurance").with_columns(build_id=pl.lit(build.pk, pl.Int64))
        with (
            temp_table("lx_roster_update", values, using=using, types=_TEMP_TYPES, text_type="varchar(400)") as temp,
            connection.cursor() as cursor,
        ):
            assignments = ", ".join(f"{quote(c)} = t.{quote(c)}" for c in values.columns if c != "id")
            cursor.execute(f"UPDATE {entry_table} SET {assignments} FROM {temp} AS t WHERE {entry_table}.id = t.id")  # noqa: S608
    if removed.height:
        with (
            temp_table("lx_roster_remove", removed.select("id"), using=using, types=_TEMP_TYPES) as temp,
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {entry_table} WHERE id IN (SELECT id FROM {temp})")  # noqa: S608
    if first:
        # The first build adds every entry: the entries themselves, all of this build, say so.
        return
    log = pl.concat(
        [
            added.select(*frames.KEY, kind=pl.lit(ChangeKind.ADDED.value), fields=pl.lit("{}")),
            removed.select(*frames.KEY, kind=pl.lit(ChangeKind.REMOVED.value), fields=pl.lit("{}")),
            changed.select(*frames.KEY, kind=pl.lit(ChangeKind.CHANGED.value), fields=pl.col("fields")),
        ]
    )
    if log.height:
        bulk_insert(RosterChange, log.with_columns(build_id=pl.lit(build.pk, dtype=pl.Int64)), using=using)


def _large_load(specs: list[rules.InsuranceRules], using: str) -> bool:
    """Tell whether a first build adds more rows than the entries table holds (then indexes are built after)."""
    expected = Person.objects.using(using).count() * len(specs)
    return expected > _REINDEX_SHARE * RosterEntry.objects.using(using).count()


def _build_part(
    campaign: Campaign,
    build: RosterBuild,
    specs: list[rules.InsuranceRules],
    township: str | None,
    lists: tuple[pl.DataFrame, pl.DataFrame] | None,
    *,
    first: bool,
    using: str,
) -> tuple[dict[str, Any], dict[str, int]]:
    """Build, compare and apply the roster of one township's persons (or of all); return its counts and changes.

    ``lists``: the open categories and survey marks read once for every township (they are small beside the
    register and the entries, and one query per township would scan them each time).
    """
    if lists is None:
        persons, categories, marks = read_inputs(campaign, using, township=township)
    else:
        persons = read_persons(using, township=township)
        ids = persons["person_id"]
        categories, marks = (frame.filter(pl.col("person_id").is_in(ids.implode())) for frame in lists)
    roster = frames.roster_frame(persons, categories, marks, specs, coverage_year=campaign.coverage_year)
    # A first build has no entries to compare with: reading them back per township would only scan its own inserts.
    current = pl.DataFrame(schema=CURRENT_SCHEMA) if first else read_current(campaign, using, township=township)
    added, removed, changed = frames.roster_diff(roster, current)
    _apply(campaign, build, added, removed, changed, first=first, using=using)
    changes = {
        "added": added.height,
        "removed": removed.height,
        "changed": changed.height,
        "unchanged": roster.height - added.height - changed.height,
    }
    return roster_counts(roster, persons.height), changes


def _next_number(campaign: Campaign, using: str) -> int:
    last = RosterBuild.objects.using(using).filter(campaign=campaign).aggregate(n=Max("number"))["n"]
    return int(last or 0) + 1


def _check_actor(actor: User | None) -> None:
    if actor is None:
        return  # the command line and the scheduler act as the system
    unit = actor.unit
    if not rules.may_build(
        unit_kind=unit.kind if unit else "", department=unit.department if unit else "", is_superuser=actor.is_superuser
    ):
        raise RosterBuildError(
            "not_allowed", _("Only medical insurance, social security and tax staff may build the roster.")
        )


def roster_build(*, actor: User | None, campaign: Campaign, using: str = "default") -> RosterBuild:
    """Build (or rebuild) the campaign's roster and record what changed since the last build (Art 7, 16-17)."""
    _check_actor(actor)
    if campaign.status == "closed":
        raise RosterBuildError("campaign_closed", _("The campaign is closed: its roster can no longer be rebuilt."))
    specs = campaign_rules(campaign)
    started = time.perf_counter()
    started_at = timezone.now()
    try:
        with transaction.atomic(using=using), large_cache(using):
            # One build of a campaign at a time: the second waits for the first and then sees its entries.
            locked = Campaign.objects.using(using).select_for_update().get(pk=campaign.pk)
            build = RosterBuild.objects.using(using).create(
                campaign=locked,
                number=_next_number(locked, using),
                campaign_revision=locked.revision,
                started_at=started_at,
                built_by=actor,
                status=BuildStatus.RUNNING,
            )
            first = not RosterEntry.objects.using(using).filter(campaign=locked).exists()
            counts: dict[str, Any] = {"persons": 0, "entries": 0, "must_pay": 0, "not_liable": 0, "by_insurance": {}}
            changes = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
            with _indexes_deferred(RosterEntry, using, enabled=first and _large_load(specs, using)):
                townships = _townships(using)
                lists = None
                if townships != [None]:
                    lists = read_lists(locked, using)
                    _analyze(RosterEntry, using)
                for township in townships:
                    part_counts, part_changes = _build_part(
                        locked, build, specs, township, lists, first=first, using=using
                    )
                    counts = counts_add(counts, part_counts)
                    changes = counts_add(changes, part_changes)
            build.counts = counts
            build.changes = changes | {"first": first}
            build.sources = _sources(locked, using)
            build.status = BuildStatus.DONE
            build.finished_at = timezone.now()
            build.seconds = round(time.perf_counter() - started, 3)
            build.save(using=using)
            audit_record(
                actor=actor,
                action="roster.build",
                obj=build,
                payload={
                    "campaign": locked.coverage_year,
                    "number": build.number,
                    "revision": build.campaign_revision,
                    "entries": build.counts["entries"],
                    "must_pay": build.counts["must_pay"],
                    "not_liable": build.counts["not_liable"],
                    "changes": build.changes,
                    "sources": build.sources,
                },
            )
    except RosterBuildError:
        raise
    except Exception as exc:
        failed = _record_failure(actor, campaign, started_at, started, exc, using)
        raise RosterBuildError(
            "build_failed",
            _("The roster build failed and changed nothing: %(error)s") % {"error": exc},
            build=failed,
        ) from exc
    return build


def _record_failure(
    actor: User | None, campaign: Campaign, started_at: Any, started: float, exc: Exception, using: str
) -> RosterBuild:
    """After the rollback, record the failed build and its error (the previous roster stands as it was)."""
    with transaction.atomic(using=using):
        locked = Campaign.objects.using(using).select_for_update().get(pk=campaign.pk)
        failed = RosterBuild.objects.using(using).create(
            campaign=locked,
            number=_next_number(locked, using),
            campaign_revision=locked.revision,
            started_at=started_at,
            finished_at=timezone.now(),
            built_by=actor,
            status=BuildStatus.FAILED,
            seconds=round(time.perf_counter() - started, 3),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        audit_record(
            actor=actor,
            action="roster.build_failed",
            obj=failed,
            payload={"campaign": locked.coverage_year, "number": failed.number, "error": failed.error[:300]},
        )
    return failed
