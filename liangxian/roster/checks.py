"""Tax's checks of a roster sent to it (Art 7-8): each abnormal datum as one row of a frame, vectorised.

The transmitted entries (the must-pay entries of one insurance in the campaign: the valid contribution roster,
有效缴费明细清册) are read joined to the register as it is now and checked against the campaign's rules:

- ``invalid_id``: the register's ID number fails GB 11643 (rejected) or is stored in a damaged spelling that
  only a repair makes valid (spaces, full-width digits, a 15-digit number …): ``batch.frames.classify_ids``.
- ``duplicate``: (a) the entry's person shares his normalised ID number with another person of the register,
  or (b) two entries of this roster have the same name and birth date under different ID numbers. The second
  test is limited to the roster itself, not the whole register: the same name and birth date in two villages
  of the county is common enough to be noise, while two contributions due for one apparent person are what the
  loop must settle.
- ``deceased`` / ``deregistered``: the register's status now (public security's deaths and deregistrations reach
  the register through the exchange), ``deceased`` and ``moved_away``.
- ``age_out_of_range``: a must-pay entry whose age on the campaign's reckoning day is outside its eligibility
  rule (``min_age <= age < max_age``).
- ``conflicting_categories``: two lists that exclude each other (``CONFLICTS``), or an orphan of full age. The
  campaign model has no place for such pairs, so they are this small documented table.
- ``amount_mismatch``: the amount is not among the campaign's tiers of the insurance, or own + government part
  differs from it.

The ``detail`` of each row is written in Chinese like ``core.idnumbers.MESSAGES``: it is data stored with the
item and read by the clerks of the three departments, not a message of the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

import polars as pl
from django.db import connection

from liangxian.batch.frames import classify_ids
from liangxian.campaigns.models import ContributionTier, EligibilityRule
from liangxian.core.idnumbers import MESSAGES as ID_MESSAGES
from liangxian.registry.models import DocumentType, Person, PersonCategory
from liangxian.registry.services import read_frame

from .models import AbnormalKind, RosterEntry

if TYPE_CHECKING:
    from liangxian.campaigns.models import Campaign

# Pairs of registry categories a person cannot be on at once (民政: 特困供养 and 低保 exclude each other; a
# person supported as 特困 is not also a 低保 recipient, and an orphan is by definition not in a 低保 household
# of his own parents). Edit here, with a test, when the county's policy names another pair.
CONFLICTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("special_hardship", "minimum_allowance", "特困人员与低保对象不应同时在册"),
    ("orphan", "minimum_allowance", "孤儿与低保对象不应同时在册"),
)
# An orphan (孤儿) is a minor: from this age on the orphan list no longer applies.
ORPHAN_MAX_AGE: Final = 18

ITEM_SCHEMA: Final = {
    "entry_id": pl.Int64,
    "person_id": pl.Int64,
    "id_number": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "kind": pl.String,
    "detail": pl.String,
}
ENTRY_SCHEMA: Final = {
    "entry_id": pl.Int64,
    "person_id": pl.Int64,
    "amount_fen": pl.Int64,
    "gov_fen": pl.Int64,
    "own_fen": pl.Int64,
    "daijiao_category": pl.String,
    "other_categories": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "id_type": pl.String,
    "id_number": pl.String,
    "name": pl.String,
    "birth_date": pl.Date,
    "status": pl.String,
}


@dataclass(frozen=True)
class CheckRules:
    """What the checks compare with: the campaign's tiers and ages for the insurance, and the reckoning day."""

    tiers_fen: tuple[int, ...]
    min_age: int | None
    max_age: int | None
    age_on: date


def _quote(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def _age_on(campaign: Campaign, month_day: str) -> date:
    try:
        month, day = (int(x) for x in month_day.split("-"))
        return date(campaign.coverage_year, month, day)
    except ValueError:  # "02-29" in a common year, or a bad value: the day before, else New Year
        return date(campaign.coverage_year, 2, 28) if month_day == "02-29" else date(campaign.coverage_year, 1, 1)


def rules_for(campaign: Campaign, insurance: str) -> CheckRules:
    """Read the campaign's tiers and eligibility ages for one insurance."""
    tiers = tuple(
        ContributionTier.objects.filter(campaign=campaign, insurance=insurance)
        .order_by("amount_fen")
        .values_list("amount_fen", flat=True)
    )
    rule = EligibilityRule.objects.filter(campaign=campaign, insurance=insurance).first()
    return CheckRules(
        tiers_fen=tuple(int(t) for t in tiers),
        min_age=rule.min_age if rule else None,
        max_age=rule.max_age if rule else None,
        age_on=_age_on(campaign, rule.age_on if rule else "01-01"),
    )


def entries_frame(campaign: Campaign, insurance: str) -> pl.DataFrame:
    """Read the transmitted entries (must pay, this insurance) joined to their persons as they are now."""
    entry, person = _quote(RosterEntry), _quote(Person)
    return read_frame(
        "SELECT e.id, e.person_id, e.amount_fen, e.gov_fen, e.own_fen, e.daijiao_category, e.other_categories, "  # noqa: S608 - quoted names
        "e.township_code, e.village_code, p.id_type, p.id_number, p.name, CAST(p.birth_date AS TEXT), p.status "
        f"FROM {entry} AS e JOIN {person} AS p ON p.id = e.person_id "
        "WHERE e.campaign_id = %s AND e.insurance = %s AND e.must_pay = %s",
        [campaign.pk, insurance, True],
        schema=ENTRY_SCHEMA,
    )


def _categories_frame(campaign: Campaign, insurance: str) -> pl.DataFrame:
    """Read the open lists (PersonCategory without an end) of the transmitted persons."""
    entry, category = _quote(RosterEntry), _quote(PersonCategory)
    return read_frame(
        f"SELECT c.person_id, c.category FROM {category} AS c JOIN {entry} AS e ON e.person_id = c.person_id "  # noqa: S608 - quoted names
        "WHERE e.campaign_id = %s AND e.insurance = %s AND e.must_pay = %s AND c.until IS NULL",
        [campaign.pk, insurance, True],
        schema={"person_id": pl.Int64, "category": pl.String},
    )


def _register_ids() -> pl.DataFrame:
    """Read every resident ID number of the register (to find one number under two persons)."""
    return read_frame(
        f"SELECT id, id_number FROM {_quote(Person)} WHERE id_type = %s",  # noqa: S608 - quoted name
        [DocumentType.RESIDENT_ID.value],
        schema={"person_id": pl.Int64, "id_number": pl.String},
    )


def _normalised(frame: pl.DataFrame, today: date) -> pl.DataFrame:
    return classify_ids(frame, "id_number", numeric_column=None, today=today, known_areas=None)


def _yuan(column: str) -> pl.Expr:
    """Write an integer fen column as yuan text ("400.00"), without a float."""
    fen = pl.col(column)
    return pl.format("{}.{}", fen // 100, (fen % 100).cast(pl.String).str.zfill(2))


def _items(frame: pl.DataFrame, kind: str, detail: pl.Expr) -> pl.DataFrame:
    return frame.select(
        "entry_id",
        "person_id",
        "id_number",
        "township_code",
        "village_code",
        pl.lit(kind).alias("kind"),
        detail.cast(pl.String).alias("detail"),
    )


def check_invalid_ids(entries: pl.DataFrame) -> pl.DataFrame:
    """Entries whose resident ID number is rejected, or valid only after repairing a damaged spelling."""
    codes = pl.col("id_number__codes").list.eval(pl.element().replace_strict(ID_MESSAGES, default=pl.element()))
    bad = entries.filter(
        (pl.col("id_type") == DocumentType.RESIDENT_ID.value) & (pl.col("id_number__outcome") != "accepted")
    )
    return _items(
        bad,
        AbnormalKind.INVALID_ID,
        pl.when(pl.col("id_number__outcome") == "rejected")
        .then(pl.lit("身份证号码无效："))
        .otherwise(pl.lit("身份证号码有损坏，需更正："))
        + codes.list.join("、"),
    )


def check_duplicates(entries: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """Entries whose normalised ID number another register person shares, or whose name and birth date another
    entry of the roster has under a different ID number."""
    per_number = (
        register.filter(pl.col("id_number__value").is_not_null())
        .group_by("id_number__value")
        .agg(pl.col("person_id").n_unique().alias("holders"))
        .filter(pl.col("holders") > 1)
    )
    by_number = entries.join(per_number, on="id_number__value", how="inner")
    same_id = _items(by_number, AbnormalKind.DUPLICATE, pl.format("同一身份证号码在户籍库中登记为{}人", "holders"))
    key = pl.coalesce("id_number__value", "id_number")
    named = entries.filter(pl.col("birth_date").is_not_null() & (pl.col("name") != "")).with_columns(key.alias("_key"))
    twins = (
        named.group_by("name", "birth_date")
        .agg(pl.col("_key").n_unique().alias("numbers"))
        .filter(pl.col("numbers") > 1)
    )
    by_name = named.join(twins, on=["name", "birth_date"], how="inner")
    same_person = _items(
        by_name, AbnormalKind.DUPLICATE, pl.format("姓名、出生日期相同而身份证号码不同的参保记录共{}条", "numbers")
    )
    return pl.concat([same_id, same_person]).unique(subset=["entry_id"], keep="first", maintain_order=True)


def check_status(entries: pl.DataFrame) -> pl.DataFrame:
    """Entries whose person the register now holds as deceased or deregistered (moved away)."""
    dead = entries.filter(pl.col("status") == "deceased")
    gone = entries.filter(pl.col("status") == "moved_away")
    return pl.concat(
        [
            _items(dead, AbnormalKind.DECEASED, pl.lit("公安户籍信息显示已死亡")),
            _items(gone, AbnormalKind.DEREGISTERED, pl.lit("公安户籍信息显示已注销户籍（迁出）")),
        ]
    )


def _age(rules: CheckRules) -> pl.Expr:
    born = pl.col("_born")
    before_birthday = (born.dt.month() > rules.age_on.month) | (
        (born.dt.month() == rules.age_on.month) & (born.dt.day() > rules.age_on.day)
    )
    return pl.lit(rules.age_on.year) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def check_ages(entries: pl.DataFrame, rules: CheckRules) -> pl.DataFrame:
    """Must-pay entries whose age on the reckoning day is outside ``min_age <= age < max_age``."""
    if rules.min_age is None and rules.max_age is None:
        return pl.DataFrame(schema=ITEM_SCHEMA)
    aged = entries.filter(pl.col("_born").is_not_null()).with_columns(_age(rules).alias("_age"))
    low = pl.col("_age") < rules.min_age if rules.min_age is not None else pl.lit(False)
    high = pl.col("_age") >= rules.max_age if rules.max_age is not None else pl.lit(False)
    out = aged.filter(low | high)
    low_text = "" if rules.min_age is None else str(rules.min_age)
    high_text = "" if rules.max_age is None else str(rules.max_age)
    bounds = f"{low_text}–{high_text}"
    return _items(
        out,
        AbnormalKind.AGE_OUT_OF_RANGE,
        pl.format(f"{rules.age_on:%Y-%m-%d}年满{{}}周岁，不在应缴年龄（{bounds}周岁，不含上限）内", "_age"),
    )


def check_categories(entries: pl.DataFrame, categories: pl.DataFrame, rules: CheckRules) -> pl.DataFrame:
    """Entries whose lists exclude each other (``CONFLICTS``), or an orphan of full age."""
    from_entries = (
        entries.select(
            "person_id",
            pl.concat_str("daijiao_category", pl.lit(","), "other_categories").str.split(",").alias("category"),
        )
        .explode("category")
        .filter(pl.col("category").is_not_null() & (pl.col("category") != ""))
    )
    held = (
        pl.concat([from_entries, categories.select("person_id", "category")])
        .unique()
        .group_by("person_id")
        .agg(pl.col("category"))
    )
    joined = entries.join(held, on="person_id", how="inner").with_columns(_age(rules).alias("_age"))
    conflicts = [
        pl.when(pl.col("category").list.contains(a) & pl.col("category").list.contains(b)).then(pl.lit(text))
        for a, b, text in CONFLICTS
    ]
    conflicts.append(
        pl.when(pl.col("category").list.contains("orphan") & (pl.col("_age") >= ORPHAN_MAX_AGE)).then(
            pl.format(f"在孤儿名单上，但{rules.age_on:%Y-%m-%d}已满{{}}周岁", "_age")
        )
    )
    found = joined.with_columns(pl.concat_str(conflicts, separator="；", ignore_nulls=True).alias("_why")).filter(
        pl.col("_why").is_not_null() & (pl.col("_why") != "")
    )
    return _items(found, AbnormalKind.CONFLICTING_CATEGORIES, pl.col("_why"))


def check_amounts(entries: pl.DataFrame, rules: CheckRules) -> pl.DataFrame:
    """Entries whose amount is not among the campaign's tiers, or whose own and government parts do not add up."""
    tiers = pl.Series(rules.tiers_fen, dtype=pl.Int64)
    off_tier = ~pl.col("amount_fen").is_in(tiers.implode())
    unbalanced = (pl.col("gov_fen") + pl.col("own_fen")) != pl.col("amount_fen")
    found = entries.filter(off_tier | unbalanced)
    return _items(
        found,
        AbnormalKind.AMOUNT_MISMATCH,
        pl.concat_str(
            [
                pl.when(off_tier).then(pl.format("缴费金额{}元不在本年度缴费档次内", _yuan("amount_fen"))),
                pl.when(unbalanced).then(
                    pl.format(
                        "个人缴纳{}元与代缴{}元之和不等于缴费金额{}元",
                        _yuan("own_fen"),
                        _yuan("gov_fen"),
                        _yuan("amount_fen"),
                    )
                ),
            ],
            separator="；",
            ignore_nulls=True,
        ),
    )


def run_checks(
    entries: pl.DataFrame,
    *,
    register: pl.DataFrame,
    categories: pl.DataFrame,
    rules: CheckRules,
    today: date,
) -> pl.DataFrame:
    """Check the entries; return one row per entry and kind of abnormality (``ITEM_SCHEMA``)."""
    if entries.is_empty():
        return pl.DataFrame(schema=ITEM_SCHEMA)
    checked = _normalised(entries, today).with_columns(
        pl.coalesce("birth_date", "id_number__birth_date").alias("_born")
    )
    numbers = _normalised(register.select("person_id", "id_number"), today).select("person_id", "id_number__value")
    found = pl.concat(
        [
            check_invalid_ids(checked),
            check_duplicates(checked, numbers),
            check_status(checked),
            check_ages(checked, rules),
            check_categories(checked, categories, rules),
            check_amounts(checked, rules),
        ],
        how="vertical_relaxed",
    )
    return found.select([pl.col(k).cast(v) for k, v in ITEM_SCHEMA.items()]).sort("entry_id", "kind")


def roster_check(campaign: Campaign, insurance: str, *, today: date) -> tuple[pl.DataFrame, int]:
    """Read the transmitted entries of one insurance and check them; return (items, entries checked)."""
    entries = entries_frame(campaign, insurance)
    if entries.is_empty():
        return pl.DataFrame(schema=ITEM_SCHEMA), 0
    items = run_checks(
        entries,
        register=_register_ids(),
        categories=_categories_frame(campaign, insurance),
        rules=rules_for(campaign, insurance),
        today=today,
    )
    return items, entries.height
