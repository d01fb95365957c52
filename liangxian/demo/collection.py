"""The demo's collection period: payments from every channel, cash in several villages, refunds, a few queue items.

Run after ``demo-campaign`` (the 2027 roster and its due-lists pushed). Deterministic for a seed: who pays, when,
through which channel and how much follow from hashes of the roster entry and the seed, not from the clock.
Everything goes through the system's own front doors, as in production:

- the channels' daily files, written with the channels' own layouts (WeChat Pay bill, the csv of the hall, POS,
  e-tax, social-insurance client and bank) and imported with :func:`channel_import`: for each channel one file
  catching up the period up to the day before the last, and the last day's file;
- a batch of real-time notifications of the last day (WeChat) through :func:`payment_record`, three of which the
  day's WeChat bill then lacks (flagged ``not_in_file``);
- finance's 代缴 batches (two files of the ``gov`` channel);
- cash taken by collectors in four villages of the demo township, paid in at the tax hall, the days closed —
  one collector paid in one receipt short on one day, so the difference is raised to the township;
- a few queue items: wrong amounts, unknown ID numbers, payments made twice;
- refunds requested, approved by the bureau and carried out (and one waiting for approval).
The demo runs in one transaction (interrupted, it leaves nothing) and is idempotent: once its files are imported,
a second run reports and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.db import transaction

from liangxian.batch.bulk import read_frame
from liangxian.campaigns.models import Campaign
from liangxian.cash import services as cash_services
from liangxian.collection.channel_files import write_channel_file
from liangxian.collection.intake import channel_import
from liangxian.collection.models import ChannelImport, IssueStatus, Payment, PaymentIssue, PaymentSource
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.core.idnumbers import check_digit
from liangxian.core.money import from_fen
from liangxian.org import services as org_services
from liangxian.org.models import CollectorAuthorisation, Role, Unit, UnitKind, User
from liangxian.refunds import services as refund_services

COVERAGE_YEAR = 2027
FIRST_DAY = dt.date(2026, 10, 8)  # the concentrated period opens after the National Day holiday
LAST_DAY = dt.date(2026, 11, 27)  # the demo's "yesterday": the last daily files
DEFAULT_DIR = Path("var/demo/collection")
TZ = ZoneInfo("Asia/Shanghai")
FILE_PREFIX = "demo-"
# The share of own payments per channel (the mini-program carries most, as in the county).
CHANNEL_SHARE = (("wechat", 0.46), ("hall", 0.10), ("pos", 0.10), ("etax", 0.10), ("siclient", 0.09), ("bank", 0.15))
CASH_VILLAGES = 4
CASH_DAYS = (LAST_DAY - dt.timedelta(days=9), LAST_DAY - dt.timedelta(days=6), LAST_DAY - dt.timedelta(days=3))
CASH_PER_DAY = 4
NOTIFIED = 120  # real-time notifications on the last day
GOV_BATCH_DAYS = (FIRST_DAY + dt.timedelta(days=12), FIRST_DAY + dt.timedelta(days=40))

Progress = Callable[[str], None] | None


@dataclass
class DemoCollectionResult:
    already: bool = False
    imports: list[dict[str, Any]] = field(default_factory=list)
    notified: int = 0
    cash_receipts: int = 0
    cash_paid_in: int = 0
    cash_days_raised: int = 0
    refunds: list[str] = field(default_factory=list)
    payments: int = 0
    open_issues: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "already": self.already,
            "imports": self.imports,
            "notified": self.notified,
            "cash_receipts": self.cash_receipts,
            "cash_paid_in": self.cash_paid_in,
            "cash_days_raised": self.cash_days_raised,
            "refunds": self.refunds,
            "payments": self.payments,
            "open_issues": self.open_issues,
            "seconds": round(self.seconds, 1),
        }


def _say(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def _u(column: str, seed: int) -> pl.Expr:
    """A uniform number in [0, 1) from a hash of the column and the seed (deterministic, vectorised)."""
    return (pl.col(column).hash(seed) % 1_000_003).cast(pl.Float64) / 1_000_003


def _entries(campaign: Campaign) -> pl.DataFrame:
    """The campaign's roster entries that must pay, with the payer's ID number and name."""
    return read_frame(
        "SELECT e.id, e.insurance, e.own_fen, e.gov_fen, e.tiers, e.daijiao_category, e.cash_only,"
        " e.township_code, e.village_code, p.id_number, p.name"
        " FROM roster_rosterentry e JOIN registry_person p ON p.id = e.person_id"
        " WHERE e.campaign_id = %s AND e.must_pay ORDER BY e.id",
        [campaign.pk],
        schema={
            "entry_id": pl.Int64,
            "insurance": pl.String,
            "own_fen": pl.Int64,
            "gov_fen": pl.Int64,
            "tiers": pl.String,
            "category": pl.String,
            "cash_only": pl.Boolean,
            "township_code": pl.String,
            "village_code": pl.String,
            "id_number": pl.String,
            "name": pl.String,
        },
    ).sort("entry_id")


def _at(day: pl.Expr, minute: pl.Expr) -> pl.Expr:
    """An aware UTC time on a demo day (an index from FIRST_DAY) at a Beijing-time minute of the day."""
    start = dt.datetime.combine(FIRST_DAY, dt.time(0), tzinfo=TZ)
    return (pl.lit(start).dt.convert_time_zone("UTC") + pl.duration(days=day, minutes=minute)).cast(
        pl.Datetime("us", "UTC")
    )


def _own_payments(entries: pl.DataFrame, seed: int, exclude: set[int]) -> pl.DataFrame:
    """Decide who has paid his own part, when, through which channel and which tier (vectorised)."""
    days = (LAST_DAY - FIRST_DAY).days + 1
    village = (pl.col("village_code").hash(seed) % 1000).cast(pl.Float64) / 1000  # some villages chase harder
    chance = 0.30 + 0.5 * village + pl.when(pl.col("insurance") == "medical").then(0.1).otherwise(0.0)
    frame = entries.filter(pl.col("own_fen") > 0, ~pl.col("entry_id").is_in(sorted(exclude))).with_columns(
        _u("entry_id", seed + 1).alias("u_pay"),
        _u("entry_id", seed + 2).alias("u_channel"),
        _u("entry_id", seed + 3).alias("u_day"),
        _u("entry_id", seed + 4).alias("u_time"),
        _u("entry_id", seed + 5).alias("u_tier"),
        chance.alias("chance"),
    )
    frame = frame.filter(pl.col("u_pay") < pl.col("chance"))
    channel: Any = pl.when(pl.lit(False)).then(pl.lit(""))
    edge = 0.0
    for name, share in CHANNEL_SHARE[:-1]:  # u_channel falls in each channel's band of its share
        edge += share
        channel = channel.when(pl.col("u_channel") < edge).then(pl.lit(name))
    channel = channel.otherwise(pl.lit(CHANNEL_SHARE[-1][0]))
    # More payers early in the period; the bank debits run on working-day mornings only in a real county, but
    # the demo keeps them spread to show every day.
    day = (pl.col("u_day").pow(1.6) * days).floor().cast(pl.Int64).clip(0, days - 1)
    minute = (540 + pl.col("u_time") * 600).floor().cast(pl.Int64)  # 09:00 to 19:00 Beijing time
    tiers = pl.col("tiers").str.split(",")
    default_tier = pl.col("own_fen") + pl.col("gov_fen")
    higher = pl.when(tiers.list.contains(pl.lit("20000")) & (pl.lit(20000) > default_tier)).then(20000)
    tier = (
        pl.when(pl.col("insurance") != "pension")
        .then(pl.lit(None, dtype=pl.Int64))
        .when(pl.col("u_tier") > 0.8)
        .then(higher.otherwise(default_tier))
        .otherwise(default_tier)
    )
    return frame.with_columns(
        channel.alias("channel"),
        day.alias("day"),
        _at(day, minute).alias("paid_at"),
        tier.cast(pl.Int64).alias("tier_fen"),
    ).with_columns(
        pl.when(pl.col("tier_fen").is_null())
        .then(pl.col("own_fen"))
        .otherwise(pl.col("tier_fen") - pl.col("gov_fen"))
        .alias("amount_fen"),
        pl.lit(0, dtype=pl.Int64).alias("other_fen"),
    )


def _txn_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Give each line its channel transaction number: channel prefix, day and a serial within the day."""
    frame = frame.sort(["channel", "paid_at", "entry_id"]).with_columns(
        pl.int_range(pl.len()).over(["channel", "day"]).alias("_n")
    )
    date_text = pl.col("paid_at").dt.convert_time_zone("Asia/Shanghai").dt.strftime("%Y%m%d")
    prefix = (
        pl.when(pl.col("channel") == "wechat").then(pl.lit("4200002")).otherwise(pl.col("channel").str.to_uppercase())
    )
    return frame.with_columns(
        pl.format("{}{}{}", prefix, date_text, pl.col("_n").cast(pl.String).str.pad_start(7, "0")).alias("txn_no")
    ).drop("_n")


def _channel_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """The fields each channel's file carries besides the payment (terminals, operators, accounts, vouchers)."""
    n = pl.col("entry_id")
    return frame.with_columns(
        pl.format("T{}", (n % 40).cast(pl.String).str.pad_start(4, "0")).alias("terminal"),
        pl.format("{}", (n % 12 + 1).cast(pl.String).str.pad_start(4, "0")).alias("operator"),
        pl.format("oLXdemo{}", n.cast(pl.String)).alias("account"),
        pl.format("62220200{}", n.cast(pl.String).str.pad_start(11, "0")).alias("card_no"),
        pl.format("SP{}", n.cast(pl.String).str.pad_start(12, "0")).alias("etax_voucher"),
        pl.format("YH{}", pl.col("paid_at").dt.strftime("%Y%m%d")).alias("batch_no"),
        pl.lit("payment").alias("kind"),
        pl.lit(COVERAGE_YEAR, dtype=pl.Int64).alias("coverage_year"),
    )


def _queue_lines(payments: pl.DataFrame, seed: int) -> pl.DataFrame:
    """A few lines that do not count: wrong amounts, unknown ID numbers, and payments made a second time."""
    # Originals from the WeChat bill, imported first, so the later line is the one queued.
    medical = payments.filter(pl.col("insurance") == "medical", pl.col("channel") == "wechat", pl.col("day") < 30)
    medical = medical.sort(_u("entry_id", seed + 7))
    wrong = medical.head(3).with_columns(
        (pl.col("amount_fen") - 5000).alias("amount_fen"), pl.format("{}W", pl.col("txn_no")).alias("txn_no")
    )
    again = medical.slice(3, 3).with_columns(
        pl.lit("hall").alias("channel"),
        (pl.col("paid_at") + pl.duration(days=5)).alias("paid_at"),
        (pl.col("day") + 5).alias("day"),
        pl.format("HALLDUP{}", pl.col("entry_id").cast(pl.String)).alias("txn_no"),
    )
    strangers = medical.slice(6, 2).with_columns(
        pl.Series("id_number", [_stranger_id(i) for i in range(2)]),
        pl.format("{}X", pl.col("txn_no")).alias("txn_no"),
    )
    return pl.concat([wrong, again, strangers])


def _stranger_id(i: int) -> str:
    """A valid ID number nobody in the demo register has (born on 1 January 1901)."""
    body = f"65312319010101{i:03d}"
    return body + check_digit(body)


def _gov_batches(entries: pl.DataFrame, seed: int) -> list[tuple[dt.date, pl.DataFrame]]:
    """Finance's 代缴 batches: the government's part for almost every entry that has one, in two batches."""
    frame = entries.filter(pl.col("gov_fen") > 0).with_columns(_u("entry_id", seed + 11).alias("u"))
    frame = frame.filter(pl.col("u") < 0.97)
    out = []
    for k, day in enumerate(GOV_BATCH_DAYS):
        part = frame.filter((pl.col("u") < 0.6) if k == 0 else (pl.col("u") >= 0.6))
        index = (day - FIRST_DAY).days
        part = part.with_columns(
            pl.lit("gov").alias("channel"),
            pl.lit(index, dtype=pl.Int64).alias("day"),
            _at(pl.lit(index), pl.lit(600) + pl.col("entry_id") % 60).alias("paid_at"),
            pl.col("gov_fen").alias("amount_fen"),
            pl.lit(None, dtype=pl.Int64).alias("tier_fen"),
            pl.format(
                "GOV{}{}", pl.lit(day.strftime("%Y%m%d")), pl.col("entry_id").cast(pl.String).str.pad_start(8, "0")
            ).alias("txn_no"),
        )
        part = _channel_fields(part).with_columns(pl.lit(f"DJ{day:%Y%m%d}").alias("batch_no"))
        out.append((day, part))
    return out


def _write_and_import(
    channel: str, rows: pl.DataFrame, name: str, folder: Path, by: User, result: DemoCollectionResult
) -> None:
    if rows.is_empty():
        return
    path = folder / name
    write_channel_file(channel, rows.sort("paid_at", "txn_no"), path)  # a frame: no dict per line
    imported = channel_import(channel=channel, path=path, filename=FILE_PREFIX + name, by=by)
    result.imports.append({"file": name, **imported.counts})


# ---------------------------------------------------------------------------------------------------- cash


def _cash_collectors(demo_collector: User, entries: pl.DataFrame) -> list[tuple[User, Unit]]:
    """Four villages of the demo township (the demo collector's and those with most payers), each with a collector
    tax has authorised from the start of the period (the demo's own collector for his village)."""
    village = demo_collector.unit
    assert village is not None and village.parent is not None
    township = village.parent
    busiest = (
        entries.filter(pl.col("township_code") == township.division_id, pl.col("village_code") != village.division_id)
        .group_by("village_code")
        .len()
        .sort(["len", "village_code"], descending=[True, False])
        .head(CASH_VILLAGES - 1)
        .get_column("village_code")
        .to_list()
    )
    others = {u.division_id: u for u in Unit.objects.filter(kind=UnitKind.VILLAGE, division_id__in=busiest)}
    villages = [village, *(others[c] for c in busiest if c in others)]
    tax = User.objects.get(username="tax")
    out = []
    for n, unit in enumerate(villages):
        if unit.pk == village.pk:
            user = demo_collector
        else:
            user = User.objects.filter(username=f"collector{n}").first() or org_services.user_create(
                actor=None,
                username=f"collector{n}",
                password=None,
                password_hash=demo_collector.password,
                unit=unit,
                role=Role.COLLECTOR,
                full_name=("艾合买提·沙吾提", "古丽娜尔·托合提", "买合木提·吾斯曼", "阿依努尔·热西提")[n % 4],
                phone=f"1399980{310 + n:04d}",
            )
        if not CollectorAuthorisation.objects.filter(collector=user, village=unit, withdrawn_at__isnull=True).exists():
            org_services.collector_authorise(actor=tax, collector=user, village=unit, valid_from=FIRST_DAY)
        out.append((user, unit))
    return out


def _cash(entries: pl.DataFrame, seed: int, result: DemoCollectionResult, progress: Progress) -> pl.DataFrame:
    """Collectors take cash on three days and pay it in at the tax hall; one pays in one receipt short one day.

    Returns the hall lines of the pay-ins (they appear in the hall's daily file as well).
    """
    demo_collector = User.objects.get(username="collector")
    collectors = _cash_collectors(demo_collector, entries)
    lines: list[dict[str, Any]] = []
    short_done = False
    for user, unit in collectors:
        village = unit.division_id
        candidates = (
            entries.filter(pl.col("village_code") == village, pl.col("insurance") == "medical", pl.col("own_fen") > 0)
            .with_columns(_u("entry_id", seed + 21).alias("k"))
            .sort(["cash_only", "k"], descending=[True, False])
            .head(CASH_PER_DAY * len(CASH_DAYS))
        )
        chosen = candidates.to_dicts()
        for d, day in enumerate(CASH_DAYS):
            receipts = []
            for i, row in enumerate(chosen[d * CASH_PER_DAY : (d + 1) * CASH_PER_DAY]):
                at = dt.datetime.combine(day, dt.time(10 + i, 15), tzinfo=TZ)
                receipts.append(
                    cash_services.cash_receipt_record(
                        by=user, entry_id=row["entry_id"], amount=from_fen(row["own_fen"]), received_at=at
                    )
                )
                result.cash_receipts += 1
            for i, receipt in enumerate(receipts):
                if not short_done and user.pk != demo_collector.pk and d >= 1 and i == len(receipts) - 1:
                    short_done = True  # one collector is short one day: this cash is not paid in on the day
                    continue
                txn = f"HALLCASH{day:%Y%m%d}{user.pk:04d}{i:02d}"
                paid_at = dt.datetime.combine(day, dt.time(17, 30 + i), tzinfo=TZ)
                cash_services.cash_payin_record(
                    by=user, receipt_id=receipt.pk, channel="hall", txn_no=txn, paid_at=paid_at
                )
                result.cash_paid_in += 1
                lines.append(
                    {
                        "entry_id": receipt.entry_id,
                        "txn_no": txn,
                        "paid_at": paid_at.astimezone(dt.UTC),
                        "day": (day - FIRST_DAY).days,
                        "amount_fen": receipt.amount_fen,
                    }
                )
    for day in CASH_DAYS:
        closed = cash_services.cash_day_close(by=None, day=day)
        result.cash_days_raised += len(closed.raised)
    _say(
        progress, f"cash: {result.cash_receipts} receipts in {len(collectors)} villages, {result.cash_paid_in} paid in"
    )
    schema: dict[str, Any] = {"entry_id": pl.Int64, "txn_no": pl.String, "paid_at": pl.Datetime("us", "UTC")}
    schema |= {"day": pl.Int64, "amount_fen": pl.Int64}
    cash = pl.DataFrame(lines, schema=schema)
    return cash.join(entries, on="entry_id", how="inner").with_columns(
        pl.lit("hall").alias("channel"),
        pl.lit(None, dtype=pl.Int64).alias("tier_fen"),
        pl.lit(0, dtype=pl.Int64).alias("other_fen"),
    )


# ------------------------------------------------------------------------------------------------- refunds


def _refunds(result: DemoCollectionResult, progress: Progress) -> None:
    """Refund the payments made twice (duplicate), one not eligible; one wrong tier waits for approval."""
    tax = User.objects.get(username="tax")
    medical = User.objects.get(username="medical")
    township = User.objects.get(username="township")
    for payment in Payment.objects.filter(txn_no__startswith="HALLDUP").order_by("txn_no"):
        refund = refund_services.refund_request(by=tax, payment=payment, reason="duplicate", note="演示：重复缴费")
        refund_services.refund_approve(by=medical, refund=refund)
        refund_services.refund_execute(by=medical, refund=refund)
        result.refunds.append(refund.number)
    counted = Payment.objects.filter(entry__isnull=False, kind="payment", source=PaymentSource.FILE)
    not_eligible = counted.filter(insurance="medical", channel="etax").order_by("txn_no").first()
    if not_eligible is not None:
        refund = refund_services.refund_request(
            by=tax, payment=not_eligible, reason="not_eligible", note="演示：已参加职工医保"
        )
        refund_services.refund_approve(by=medical, refund=refund)
        refund_services.refund_execute(by=medical, refund=refund)
        result.refunds.append(refund.number)
    assert township.unit is not None
    wrong_tier = (
        counted.filter(insurance="pension", tier_fen=20000, township_code=township.unit.division_id)
        .order_by("txn_no")
        .first()
    )
    if wrong_tier is not None:
        refund = refund_services.refund_request(
            by=township, payment=wrong_tier, reason="wrong_tier", note="演示：本人要求改为默认档次"
        )
        result.refunds.append(refund.number)
    # The pension refund waits for social security's approval on its page.
    _say(progress, f"refunds: {len(result.refunds)}")


# ----------------------------------------------------------------------------------------------------- run


def demo_collection_run(
    *, seed: int = 2026, folder: Path = DEFAULT_DIR, progress: Progress = None
) -> DemoCollectionResult:
    """Simulate the collection period so far (Art 26-33); idempotent, deterministic for the seed."""
    started = time.monotonic()
    result = DemoCollectionResult()
    if ChannelImport.objects.filter(filename__startswith=FILE_PREFIX, status="done").exists():
        result.already = True
        return _finish(result, started)
    with transaction.atomic():  # all or nothing: an interrupted demo leaves no half period behind
        _simulate(seed, folder, result, progress)
    return _finish(result, started)


def _simulate(seed: int, folder: Path, result: DemoCollectionResult, progress: Progress) -> None:
    """Cash first (its pay-ins appear in the hall's files), then notifications, 代缴 batches, files, refunds."""
    campaign = Campaign.objects.get(coverage_year=COVERAGE_YEAR)
    tax = User.objects.get(username="tax")
    finance = User.objects.get(username="finance")
    folder.mkdir(parents=True, exist_ok=True)
    entries = _entries(campaign)
    _say(progress, f"roster: {entries.height} entries that must pay")

    cash = _cash(entries, seed, result, progress)
    payments = _txn_numbers(_own_payments(entries, seed, set(cash.get_column("entry_id").to_list())))
    queue = _queue_lines(payments, seed)
    # The hall's files hold the collectors' pay-ins too: known already, marked seen in the file.
    lines = pl.concat([payments, queue, cash], how="diagonal_relaxed")
    lines = _channel_fields(lines)
    last = (LAST_DAY - FIRST_DAY).days

    # Real-time notifications of the last day (WeChat): recorded as they come; three never reach the bill.
    last_day = lines.filter(pl.col("channel") == "wechat", pl.col("day") == last)
    notified = last_day.head(min(NOTIFIED, last_day.height * 4 // 5))  # the rest reach only the bill (掉单)
    for row in notified.iter_rows(named=True):  # one notification is one request: the real-time path
        payment_record(
            PaymentIn(
                channel="wechat",
                txn_no=row["txn_no"],
                id_number=row["id_number"],
                name=row["name"],
                insurance=row["insurance"],
                coverage_year=COVERAGE_YEAR,
                amount_fen=row["amount_fen"],
                tier_fen=row["tier_fen"],
                paid_at=row["paid_at"],
                source=PaymentSource.API,
                notified_at=row["paid_at"] + dt.timedelta(seconds=3),
            )
        )
    result.notified = notified.height
    missing = set(notified.tail(3).get_column("txn_no").to_list())
    _say(progress, f"real-time notifications: {result.notified}")

    for day, batch in _gov_batches(entries, seed):
        _write_and_import("gov", batch, f"gov-{day:%Y%m%d}.csv", folder, finance, result)
    for channel, _share in CHANNEL_SHARE:
        rows = lines.filter(pl.col("channel") == channel)
        ext = "txt" if channel == "wechat" else "csv"
        earlier = rows.filter(pl.col("day") < last)
        _write_and_import(
            channel,
            earlier,
            f"{channel}-{FIRST_DAY:%Y%m%d}-{LAST_DAY - dt.timedelta(days=1):%Y%m%d}.{ext}",
            folder,
            tax,
            result,
        )
        latest = rows.filter(pl.col("day") == last, ~pl.col("txn_no").is_in(sorted(missing)))
        _write_and_import(channel, latest, f"{channel}-{LAST_DAY:%Y%m%d}.{ext}", folder, tax, result)
        _say(progress, f"{channel}: {rows.height} lines imported")

    _refunds(result, progress)


def _finish(result: DemoCollectionResult, started: float) -> DemoCollectionResult:
    result.payments = Payment.objects.count()
    result.open_issues = PaymentIssue.objects.filter(status=IssueStatus.OPEN).count()
    result.seconds = time.monotonic() - started
    return result
