"""Benchmark: the roster build for the 300,000-person county with its lists, beside the same logic without a database.

Issue 4's target: ``roster_build`` (read the register, the open lists and the survey marks from the database,
compute in Polars, compare with the current entries, write entries and changes in bulk, one transaction, audit)
within 3× of its floor: the same ``roster.frames`` logic run by plain Polars over the same data read from
Parquet files and the roster written back to Parquet — no database.

One child process (``prepare``) builds a template SQLite database: migrated, divisions, units, catalogue, demo
logins, the synthetic county in the register, its lists opened as categories in bulk (特困, 孤儿, 低保, 返贫监测,
残疾 with grade, 学生 with school, 职工参保, 流动人口), survey marks (gone, cash only) and the coverage-2027
campaign with the default tiers, eligibility and 代缴 rules; it also writes the same inputs as Parquet. Every case
then runs in a child of its own, so its wall time and peak RSS are its own:

- ``floor`` / ``floor_rebuild``: Parquet in, ``roster_frame`` (and ``roster_diff`` against the first roster),
  Parquet out;
- ``build``: the first build (every entry added);
- ``rebuild``: the same again on the built database, nothing changed (no entry written, 0 changes);
- ``rebuild_changed``: about 1 % of the lists changed (categories closed and opened), then rebuilt.

``python bench/bench_roster.py --profile CASE [--persons N]`` runs one case under cProfile. ``--postgres URL``
(a server URL whose database may be dropped and created, e.g. ``postgres://postgres@127.0.0.1:5432/bench_roster``)
runs the database cases on PostgreSQL instead of SQLite. ``--prefecture --postgres URL [--cases build,rebuild]``
is the Kashgar-size run: 4.5 million persons over every village of the prefecture, no floor (issue 4's target
there: it completes, peak memory under 8 GiB); the build then streams township by township (``STREAM_ABOVE``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PERSONS = 300_000
SEED = 2025
YEAR = 2027
TARGET_RATIO = 3.0
CASES = ("floor", "build", "floor_rebuild", "rebuild", "rebuild_changed")
COUNTY_CODE = "653123"
PREFECTURE_CODE = "6531"
PREFECTURE_PERSONS = 4_500_000


def run(
    persons: int = DEFAULT_PERSONS, cases: list[str] | None = None, postgres: str = "", prefecture: bool = False
) -> list[dict[str, Any]]:
    """Prepare the template database and the Parquet inputs once, run each case in a child, pair them.

    ``prefecture``: spread the persons over every village of Kashgar (6531) instead of the county's, on
    PostgreSQL, and run only the database cases (the build streams by township above ``STREAM_ABOVE`` persons).
    """
    if prefecture and not postgres:
        raise ValueError("the prefecture-size run needs --postgres")
    os.environ["LIANGXIAN_BENCH_AREA"] = PREFECTURE_CODE if prefecture else COUNTY_CODE
    wanted = [c for c in CASES if (not cases or c in cases) and not (prefecture and c.startswith("floor"))]
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-roster-") as tmp:
        work = Path(tmp)
        prepared = _child("prepare", persons, work, db=work / "template.sqlite3", postgres=postgres)
        results: dict[str, dict[str, Any]] = {}
        needs_built = {"rebuild", "rebuild_changed", "floor_rebuild"}
        if needs_built & set(wanted) and "build" not in wanted:
            wanted.insert(0, "build")
        for case in wanted:
            if case in ("floor", "floor_rebuild"):
                results[case] = _child(case, persons, work, db=work / "template.sqlite3", postgres=postgres)
                continue
            source = "template" if case == "build" else "built"
            results[case] = _child(case, persons, work, db=_copy(work, source, case), postgres=postgres)
            if case == "build":
                _copy(work, case, "built")
    return _rows(persons, prepared, results, postgres=bool(postgres))


def _rows(
    persons: int, prepared: dict[str, Any], results: dict[str, dict[str, Any]], *, postgres: bool
) -> list[dict[str, Any]]:
    def get(case: str, key: str) -> Any:
        return results.get(case, {}).get(key)

    engine = "PostgreSQL" if postgres else "SQLite"
    rows: list[dict[str, Any]] = []
    pairs = (
        ("build", "floor", "first build (every entry added)"),
        ("rebuild", "floor_rebuild", "rebuild, nothing changed"),
        ("rebuild_changed", "floor_rebuild", "rebuild, ~1 % of the lists changed"),
    )
    for case, floor_case, label in pairs:
        if case not in results:
            continue
        ours, floor = get(case, "seconds"), get(floor_case, "seconds")
        ratio = ours / floor if ours and floor else None
        verdict = "" if ratio is None else ("meets" if ratio <= TARGET_RATIO else "MISSES") + " the 3× target"
        changes = get(case, "changes") or {}
        rows.append(
            {
                "name": f"roster_build {label}: {get(case, 'entries'):,} entries ({engine})",
                "figure": ours,
                "unit": "s",
                "comparison": floor,
                "lower_is_better": False,  # shown as ours / floor: how many times the database-free run
                "note": f"ratio = ours ÷ the same frames logic over Parquet ({floor_case}); {verdict}; changes "
                + ", ".join(f"{k} {v:,}" for k, v in changes.items() if k != "first"),
            }
        )
        rows.append(
            {
                "name": "  peak memory",
                "figure": get(case, "peak_mb"),
                "unit": "MB",
                "comparison": get(floor_case, "peak_mb"),
                "note": "peak RSS of the child (interpreter, Django included) vs the floor's",
            }
        )
    rows.append(
        {
            "name": f"prepare ({persons:,} persons, {prepared.get('categories', 0):,} list rows)",
            "figure": prepared["seconds"],
            "unit": "s",
            "comparison": None,
            "note": "not part of the target: county, lists, marks, campaign, template database, Parquet inputs",
        }
    )
    return rows


def _copy(work: Path, source: str, target: str) -> Path:
    postgres = (work / "postgres.json").exists()
    if postgres:
        _pg_copy(work, source, target)
        return work / f"{target}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        (work / f"{target}.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(work / f"{source}.sqlite3", work / f"{target}.sqlite3")
    return work / f"{target}.sqlite3"


def _pg_names(work: Path) -> tuple[str, str]:
    info = json.loads((work / "postgres.json").read_text())
    url: str = info["url"]
    base, _slash, name = url.rpartition("/")
    return base, name


def _pg_copy(work: Path, source: str, target: str) -> None:
    """Copy a PostgreSQL database with CREATE DATABASE … TEMPLATE (the source must have no connection)."""
    import psycopg

    base, name = _pg_names(work)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_{target}"')
        conn.execute(f'CREATE DATABASE "{name}_{target}" TEMPLATE "{name}_{source}"')


def _child(case: str, persons: int, work: Path, *, db: Path, postgres: str, profile: bool = False) -> dict[str, Any]:
    from bench.common import child_env, child_run

    env = child_env(work, db)
    if postgres:
        (work / "postgres.json").write_text(json.dumps({"url": postgres}))
        base, name = _pg_names(work)
        env["DATABASE_URL"] = f"{base}/{name}_{db.stem}"
        if case == "prepare":
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}_{db.stem}"')
                conn.execute(f'CREATE DATABASE "{name}_{db.stem}"')
    return child_run(__file__, case, persons, work, env=env, profile=profile)


# --- the cases (run inside the child) --------------------------------------------------------------------


def case_prepare(persons: int, work: Path) -> dict[str, Any]:
    """Build the template database (county, lists, marks, campaign) and write the same inputs as Parquet."""
    from bench.common import county_database

    started = time.perf_counter()
    area = os.environ.get("LIANGXIAN_BENCH_AREA", COUNTY_CODE)
    county = county_database(persons, seed=SEED, area=area)
    campaign = campaign_create()
    counts = lists_open(county, campaign)
    if area == COUNTY_CODE:  # the floor's Parquet inputs (the prefecture run has no floor case)
        inputs_write(campaign, work)
    return {"seconds": time.perf_counter() - started, **counts}


def campaign_create() -> Any:
    """Create the coverage-2027 campaign with the default figures of SPEC 11 (directly: the bench's own data)."""
    from liangxian.campaigns.models import DaijiaoRule
    from liangxian.roster.tests.build_fixtures import campaign_with_rules

    campaign = campaign_with_rules(YEAR)
    rules = []
    for insurance, fixed in (("medical", 20000), ("pension", 10000)):
        for category, label, mode, priority, details in (
            ("special_hardship", "特困", "full", 1, []),
            ("orphan", "孤儿", "full", 2, []),
            ("minimum_allowance", "低保", "fixed", 3, []),
            ("poverty_monitoring", "返贫监测", "fixed", 4, []),
            ("disabled", "重度残疾", "fixed", 5, ["一级", "二级"]),
        ):
            rules.append(
                DaijiaoRule(
                    campaign=campaign,
                    insurance=insurance,
                    category=category,
                    label=label,
                    details=details,
                    mode=mode,
                    amount_fen=fixed if mode == "fixed" else 0,
                    priority=priority,
                )
            )
    DaijiaoRule.objects.bulk_create(rules)
    return campaign


def lists_open(county: Any, campaign: Any) -> dict[str, Any]:
    """Open the county's lists as categories in bulk (one submission per list) and the survey's marks."""
    import hashlib

    import polars as pl
    from django.db import transaction
    from django.utils import timezone

    from liangxian.batch.bulk import bulk_insert, fetch_frame
    from liangxian.demo.county import Draws
    from liangxian.exchange.models import Dataset, Submission
    from liangxian.org.models import Unit, User
    from liangxian.registry.models import PersonCategory
    from liangxian.roster.models import SurveyMark

    now = timezone.now()
    unit = Unit.objects.order_by("code").first()
    user = User.objects.order_by("pk").first()
    assert unit is not None and user is not None
    ids = fetch_frame(
        "SELECT id, id_number FROM registry_person", schema={"person_id": pl.Int64, "id_number": pl.String}
    )
    people = county.persons.join(ids, on="id_number", how="inner")
    draws = Draws(SEED)
    people = people.with_columns(
        _float=draws.uniform("bench.floating", people.height) < 0.01,
        _gone=draws.uniform("bench.gone", people.height) < 0.004,
        _cash=draws.uniform("bench.cash", people.height) < 0.01,
    )
    lists = {
        "special_hardship": ("civil_affairs.special_hardship", pl.col("special_hardship"), pl.lit("")),
        "orphan": ("civil_affairs.orphans", pl.col("orphan"), pl.lit("")),
        "minimum_allowance": ("civil_affairs.minimum_allowance", pl.col("minimum_allowance"), pl.lit("")),
        "poverty_monitoring": ("rural_revitalisation.monitored", pl.col("monitored"), pl.col("monitor_type")),
        "disabled": ("disabled_persons_federation.certified", pl.col("disabled"), pl.col("disability_grade")),
        "student": ("education.students", pl.col("student"), pl.col("school")),
        "employee_scheme": ("social.employee_scheme", pl.col("employee_scheme"), pl.lit("")),
        "floating_population": ("public_security.floating_population", pl.col("_float"), pl.lit("")),
    }
    frames = []
    with transaction.atomic():
        for category, (dataset_code, member, detail) in lists.items():
            dataset, _created = Dataset.objects.get_or_create(
                code=dataset_code, defaults={"name": dataset_code, "provider": "civil", "category": category}
            )
            submission = Submission.objects.create(
                dataset=dataset,
                unit=unit,
                submitted_by=user,
                submitted_at=now,
                method="intranet",
                version=1,
                status="in_force",
                sha256=hashlib.sha256(dataset_code.encode()).hexdigest(),
                in_force_at=now,
            )
            frames.append(
                people.filter(member.fill_null(False)).select(
                    "person_id",
                    pl.lit(category).alias("category"),
                    detail.fill_null("").str.slice(0, 100).alias("detail"),
                    pl.lit(dataset_code).alias("dataset"),
                    pl.lit(submission.pk).alias("submission_id"),
                    pl.lit(now).alias("since"),
                )
            )
        categories = pl.concat(frames)
        bulk_insert(PersonCategory, categories)
        dataset, _created = Dataset.objects.get_or_create(
            code="township.village_survey", defaults={"name": "village survey", "provider": "township"}
        )
        survey = Submission.objects.create(
            dataset=dataset,
            unit=unit,
            submitted_by=user,
            submitted_at=now,
            method="intranet",
            version=1,
            status="in_force",
            sha256=hashlib.sha256(b"survey").hexdigest(),
            in_force_at=now,
        )
        marks = pl.concat(
            [
                people.filter(pl.col("_gone")).select("person_id", pl.lit("gone").alias("mark")),
                people.filter(pl.col("_cash") & ~pl.col("_gone")).select(
                    "person_id", pl.lit("cash_only").alias("mark")
                ),
            ]
        ).join(people.select("person_id", "township_code", "village_code"), on="person_id")
        bulk_insert(
            SurveyMark,
            marks.with_columns(
                campaign_id=pl.lit(campaign.pk),
                note=pl.lit(""),
                submission_id=pl.lit(survey.pk),
                since=pl.lit(now),
            ),
        )
    return {"categories": categories.height, "marks": marks.height}


def inputs_write(campaign: Any, work: Path) -> None:
    """Write the register, the open lists and the marks exactly as the build reads them, as Parquet."""
    from liangxian.roster.build import read_inputs

    persons, categories, marks = read_inputs(campaign)
    out = work / "parquet"
    out.mkdir(exist_ok=True)
    persons.write_parquet(out / "persons.parquet")
    categories.write_parquet(out / "categories.parquet")
    marks.write_parquet(out / "marks.parquet")


def _specs() -> tuple[Any, list[Any]]:
    from liangxian.campaigns.models import Campaign
    from liangxian.roster.build import campaign_rules

    campaign = Campaign.objects.get(coverage_year=YEAR)
    return campaign, campaign_rules(campaign)


def case_floor(persons: int, work: Path) -> dict[str, Any]:
    """The same logic as plain Polars over Parquet: read the inputs, build the roster, write it."""
    import polars as pl

    from liangxian.roster import frames

    _campaign, specs = _specs()  # the campaign's rules (a few rows) are not part of the timing
    started = time.perf_counter()
    out = work / "parquet"
    roster = frames.roster_frame(
        pl.read_parquet(out / "persons.parquet"),
        pl.read_parquet(out / "categories.parquet"),
        pl.read_parquet(out / "marks.parquet"),
        specs,
        coverage_year=YEAR,
    )
    roster.write_parquet(out / "roster.parquet")
    return {"seconds": time.perf_counter() - started, "entries": roster.height}


def case_floor_rebuild(persons: int, work: Path) -> dict[str, Any]:
    """The rebuild's floor: read the inputs and the previous roster, build, compare, write the differences."""
    import polars as pl

    from liangxian.roster import frames

    _campaign, specs = _specs()
    out = work / "parquet"
    if not (out / "roster.parquet").exists():
        case_floor(persons, work)
    started = time.perf_counter()
    roster = frames.roster_frame(
        pl.read_parquet(out / "persons.parquet"),
        pl.read_parquet(out / "categories.parquet"),
        pl.read_parquet(out / "marks.parquet"),
        specs,
        coverage_year=YEAR,
    )
    current = pl.read_parquet(out / "roster.parquet").with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    added, removed, changed = frames.roster_diff(roster, current)
    added.write_parquet(out / "added.parquet")
    removed.write_parquet(out / "removed.parquet")
    changed.write_parquet(out / "changed.parquet")
    return {"seconds": time.perf_counter() - started, "entries": roster.height}


def _build() -> dict[str, Any]:
    from liangxian.roster.build import roster_build

    campaign = _specs()[0]
    started = time.perf_counter()
    build = roster_build(actor=None, campaign=campaign)
    return {
        "seconds": time.perf_counter() - started,
        "entries": build.counts["entries"],
        "must_pay": build.counts["must_pay"],
        "changes": build.changes,
    }


def case_build(persons: int, work: Path) -> dict[str, Any]:
    return _build()


def case_rebuild(persons: int, work: Path) -> dict[str, Any]:
    return _build()


def case_rebuild_changed(persons: int, work: Path) -> dict[str, Any]:
    """Close about 1 % of the open list rows and open as many new ones, then rebuild."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        step = 100
        cursor.execute(
            "UPDATE registry_personcategory SET until = %s WHERE until IS NULL AND id %% %s = 0",
            [timezone.now(), step],
        )
        # As many persons put on the minimum-allowance list (the same submission as the existing rows).
        cursor.execute(
            "INSERT INTO registry_personcategory (person_id, category, detail, dataset, submission_id, since) "
            "SELECT p.id, c.category, '', c.dataset, c.submission_id, %s FROM registry_person p, "
            "(SELECT category, dataset, submission_id FROM registry_personcategory "
            " WHERE category = 'minimum_allowance' LIMIT 1) c WHERE p.id %% %s = 7",
            [timezone.now(), step],
        )
    return _build()


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", default=None)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--postgres", default="", help="run the database cases on this PostgreSQL server URL")
    parser.add_argument("--cases", default="", help="comma-separated cases to run (default: all)")
    parser.add_argument("--prefecture", action="store_true", help="Kashgar-size run (4.5 M persons; needs --postgres)")
    parser.add_argument("--cprofile", action="store_true", help="(child) run the case under cProfile")
    parser.add_argument("--profile", default=None, help="prepare, then run this one case under cProfile")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.case is None:
        from bench.run import table

        wanted = [c for c in args.cases.split(",") if c] or None
        if args.profile:
            _profile(args.profile, args.persons, args.postgres)
            return
        persons = PREFECTURE_PERSONS if args.prefecture and args.persons == DEFAULT_PERSONS else args.persons
        print(table(run(persons=persons, cases=wanted, postgres=args.postgres, prefecture=args.prefecture)))
        return
    import django

    from bench.common import case_main

    django.setup()
    case_main(globals()[f"case_{args.case}"], args.persons, args.work, cprofile=args.cprofile)


def _profile(case: str, persons: int, postgres: str) -> None:
    with tempfile.TemporaryDirectory(prefix="liangxian-bench-roster-") as tmp:
        work = Path(tmp)
        _child("prepare", persons, work, db=work / "template.sqlite3", postgres=postgres)
        if case != "build" and not case.startswith("floor"):
            _child("build", persons, work, db=_copy(work, "template", "build"), postgres=postgres)
            _copy(work, "build", "built")
        source = "template" if case == "build" else "built"
        db = work / "template.sqlite3" if case.startswith("floor") else _copy(work, source, case)
        result = _child(case, persons, work, db=db, postgres=postgres, profile=True)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    _main()
