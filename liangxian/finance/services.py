"""Finance (Art 9, SPEC 7): the accounts, 代缴 owed and applied for and paid as a batch, the subsidies, the yearly
application for fiscal funds, the transfers to each insurance's fiscal special account and their bank statements.

Figures come from frames (the roster's entries, collection's payments and settlements read with ``read_frame``)
joined in Polars, never in SQLite. Every state change is audited; amounts are integer fen, Decimal yuan outside.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import read_frame
from liangxian.campaigns.models import NATIONAL_CODES, Campaign, ContributionTier, DaijiaoRule, InsuranceType
from liangxian.collection.channel_files import write_channel_csv
from liangxian.collection.models import Channel, Payment
from liangxian.core.audit import audit_record
from liangxian.core.keys import as_key
from liangxian.core.money import AmountError, to_fen
from liangxian.org.models import Department, Role, UnitKind, User
from liangxian.roster.models import RosterEntry

from .models import (
    AccountKind,
    ApplicationStatus,
    DaijiaoApplication,
    DaijiaoBatch,
    DaijiaoLine,
    Flow,
    FundAccount,
    FundRequest,
    FundRequestLine,
    SubsidyFigure,
    SubsidyRate,
    Transfer,
)

DUTY = "fiscal_funds"  # the duty named in the access log (Art 9)
INSURANCE_NAMES = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}
KIND_NAMES = {"income": "收入户", "fiscal": "财政专户", "expenditure": "支出户"}
# Defaults of the subsidy standard (SPEC 11) where the campaign holds none: pension 30 yuan below the 500 tier,
# 60 from it; medical the per-person fiscal subsidy of the coverage year (700 from 2025).
PENSION_DEFAULT = [(0, 3000), (50000, 6000)]
PENSION_MINIMUM = [(0, 3000), (50000, 6000)]  # at least 30, at least 60 from the 500 tier (国发〔2014〕8号)
MEDICAL_DEFAULT = 70000
CATEGORY_LABELS = {
    "special_hardship": "特困",
    "orphan": "孤儿",
    "minimum_allowance": "低保",
    "poverty_monitoring": "返贫监测",
    "disabled": "重度残疾",
}


class FinanceError(Exception):
    """A finance action refused, with a clerk-readable (Chinese) message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------------------------- who


def is_finance(user: User | None) -> bool:
    """Tell whether the user acts for the finance bureau (or is a superuser): they keep the funds."""
    if user is None:
        return False
    if user.is_superuser:
        return True
    unit = user.unit
    return unit is not None and unit.kind == UnitKind.DEPARTMENT and unit.department == Department.FINANCE


def may_read(user: User | None) -> bool:
    """Finance, and the county's leaders (a department's principal leader), read the funds' figures."""
    if is_finance(user):
        return True
    unit = user.unit if user is not None else None
    return bool(user and unit and unit.kind == UnitKind.DEPARTMENT and user.role == Role.LEADER)


def require_read(user: User | None) -> None:
    if not may_read(user):
        raise FinanceError("forbidden", _("Only the finance bureau and the county's leaders see the fiscal funds."))


def require_finance(user: User | None) -> None:
    if not is_finance(user):
        raise FinanceError("forbidden", _("Only the finance bureau may do this."))


def _now() -> datetime:
    return timezone.now()


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(int(fen)).scaleb(-2)


def parse_fen(text: Any, what: str) -> int:
    """Read a yuan amount (string or Decimal) as fen, or refuse it with the clerk's words."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    try:
        return to_fen(text if isinstance(text, Decimal) else str(text or "").strip())
    except (AmountError, TypeError) as exc:
        raise FinanceError("bad_amount", _("%(what)s is not an amount in yuan.") % {"what": what}) from exc


def _insurance(value: str) -> str:
    if value not in InsuranceType.values:
        raise FinanceError("bad_insurance", _("Unknown insurance type: %(value)s.") % {"value": value})
    return value


def campaign_of(year: int) -> Campaign:
    campaign = Campaign.objects.filter(coverage_year=year).first()
    if campaign is None:
        raise FinanceError("no_campaign", _("There is no campaign for the coverage year %(year)s.") % {"year": year})
    return campaign


def years() -> list[int]:
    return list(Campaign.objects.order_by("-coverage_year").values_list("coverage_year", flat=True))


# ---------------------------------------------------------------------------------------------- accounts


def account_name(insurance: str, kind: str) -> str:
    return INSURANCE_NAMES[insurance] + KIND_NAMES[kind]


def accounts_seed(*, by: User | None) -> list[FundAccount]:
    """Create the six accounts (收入户, 财政专户, 支出户 of each insurance) that are missing; keep the others."""
    if by is not None:
        require_finance(by)
    with transaction.atomic():
        made = []
        for insurance in InsuranceType.values:
            for k, kind in enumerate(AccountKind.values, start=1):
                if FundAccount.objects.filter(insurance=insurance, kind=kind).exists():
                    continue
                account = FundAccount.objects.create(
                    insurance=insurance,
                    kind=kind,
                    name=account_name(insurance, kind),
                    bank="",
                    number=f"8800{NATIONAL_CODES[InsuranceType(insurance)]}{k:04d}",
                )
                made.append(account)
                audit_record(actor=by, action="finance.account.create", obj=account, payload={"name": account.name})
    return list(FundAccount.objects.all())


def account_update(*, by: User, account_id: int, name: str, bank: str, number: str) -> FundAccount:
    """Edit an account's name, bank and number (finance)."""
    require_finance(by)
    name, bank, number = name.strip(), bank.strip(), number.strip().replace(" ", "")
    if not name or not number:
        raise FinanceError("bad_account", _("An account needs a name and a number."))
    with transaction.atomic():
        account = FundAccount.objects.select_for_update().filter(pk=account_id).first()
        if account is None:
            raise FinanceError("no_account", _("No such account."))
        if FundAccount.objects.filter(number=number).exclude(pk=account.pk).exists():
            raise FinanceError("duplicate_number", _("Another account already has this number."))
        before = {"name": account.name, "bank": account.bank, "number": account.number}
        account.name, account.bank, account.number = name[:120], bank[:120], number[:40]
        account.save(update_fields=["name", "bank", "number"])
        audit_record(actor=by, action="finance.account.update", obj=account, payload={"before": before, "name": name})
    return account


def fiscal_account(insurance: str) -> FundAccount:
    account = FundAccount.objects.filter(insurance=insurance, kind=AccountKind.FISCAL).first()
    if account is None:
        raise FinanceError("no_account", _("The fiscal special account is not set up: seed the accounts first."))
    return account


# --------------------------------------------------------------------------------------------- frames


OWED_SCHEMA = {
    "entry_id": pl.Int64,
    "person_id": pl.Int64,
    "insurance": pl.String,
    "category": pl.String,
    "gov_fen": pl.Int64,
    "amount_fen": pl.Int64,
    "own_fen": pl.Int64,
    "must_pay": pl.Boolean,
    "village_code": pl.String,
}


def roster_frame(year: int) -> pl.DataFrame:
    """The campaign's roster entries that must pay: entry, person, insurance, 代缴 category and the parts."""
    campaign = campaign_of(year)
    return read_frame(
        "SELECT id, person_id, insurance, daijiao_category, gov_fen, amount_fen, own_fen, "
        "CAST(must_pay AS TEXT), village_code FROM roster_rosterentry WHERE campaign_id = %s AND must_pay",
        [campaign.pk],
        schema=OWED_SCHEMA,
    )


def owed_frame(year: int, insurance: str | None = None, roster: pl.DataFrame | None = None) -> pl.DataFrame:
    """The persons the government pays for (代缴) in the year: the entries with a government part."""
    frame = (roster_frame(year) if roster is None else roster).filter(pl.col("gov_fen") > 0)
    return frame.filter(pl.col("insurance") == insurance) if insurance else frame


PAY_SCHEMA = {"entry_id": pl.Int64, "own_fen": pl.Int64, "gov_fen": pl.Int64, "payments": pl.Int64}


def paid_frame(year: int, insurance: str) -> pl.DataFrame:
    """Per roster entry, the net payments counted toward it (refunds and reversals included, negative)."""
    return read_frame(
        "SELECT entry_id, SUM(amount_fen), SUM(other_fen), COUNT(*) FROM collection_payment "
        "WHERE coverage_year = %s AND insurance = %s AND entry_id IS NOT NULL GROUP BY entry_id",
        [year, insurance],
        schema=PAY_SCHEMA,
    )


def settled_frame(year: int, insurance: str) -> pl.DataFrame:
    """The entries of the year and insurance collection counts as paid."""
    campaign = campaign_of(year)
    ids = read_frame(
        "SELECT id FROM roster_rosterentry WHERE campaign_id = %s AND insurance = %s",
        [campaign.pk, insurance],
        schema={"entry_id": pl.Int64},
    )
    paid = read_frame("SELECT entry_id FROM collection_entrysettlement WHERE paid", [], schema={"entry_id": pl.Int64})
    return ids.join(paid, on="entry_id", how="semi")


def category_labels(year: int, insurance: str | None = None) -> dict[str, str]:
    labels = dict(CATEGORY_LABELS)
    rules = DaijiaoRule.objects.filter(campaign__coverage_year=year)
    if insurance:
        rules = rules.filter(insurance=insurance)
    labels.update({r.category: r.label for r in rules if r.label})
    return labels


# ------------------------------------------------------------------------------------------------- 代缴 owed


@dataclass
class OwedLine:
    insurance: str
    category: str
    label: str
    persons: int
    owed_fen: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "insurance": self.insurance,
            "category": self.category,
            "label": self.label,
            "persons": self.persons,
            "owed_fen": self.owed_fen,
        }


def daijiao_owed(year: int, insurance: str | None = None, roster: pl.DataFrame | None = None) -> list[OwedLine]:
    """代缴 owed per insurance type and category from the roster: persons and the government parts."""
    labels = category_labels(year)
    frame = owed_frame(year, insurance, roster)
    grouped = (
        frame.group_by("insurance", "category")
        .agg(pl.len().alias("persons"), pl.col("gov_fen").sum().alias("owed_fen"))
        .sort("insurance", "category")
    )
    return [
        OwedLine(r["insurance"], r["category"], labels.get(r["category"], r["category"]), r["persons"], r["owed_fen"])
        for r in grouped.iter_rows(named=True)
    ]


def roster_gov_total(year: int, insurance: str) -> tuple[int, int]:
    """The roster's government parts as the database sums them (the check's other side): persons, fen."""
    qs = RosterEntry.objects.filter(campaign__coverage_year=year, insurance=insurance, must_pay=True, gov_fen__gt=0)
    return qs.count(), int(qs.aggregate(s=Sum("gov_fen"))["s"] or 0)


# ----------------------------------------------------------------------------------------- 代缴 application


def _application(application_id: int | str, *, lock: bool = False) -> DaijiaoApplication:
    qs = DaijiaoApplication.objects.select_for_update() if lock else DaijiaoApplication.objects.all()
    text = str(application_id)
    pk = as_key(text)
    found = qs.filter(number=text).first() or (qs.filter(pk=pk).first() if pk is not None else None)
    if found is None:
        raise FinanceError("no_application", _("No such on-behalf application."))
    return found


def application_get(application_id: int | str) -> DaijiaoApplication:
    return _application(application_id)


def application_draw(*, by: User, year: int, insurance: str) -> DaijiaoApplication:
    """Draw up (or redraw while a draft) the 代缴 application of a year and insurance type from the roster."""
    require_finance(by)
    _insurance(insurance)
    lines = daijiao_owed(year, insurance)
    with transaction.atomic():
        app = DaijiaoApplication.objects.select_for_update().filter(coverage_year=year, insurance=insurance).first()
        if app is not None and app.status != ApplicationStatus.DRAFT:
            raise FinanceError("not_draft", _("The application is already submitted; it can no longer be redrawn."))
        if app is None:
            code = NATIONAL_CODES[InsuranceType(insurance)]
            app = DaijiaoApplication(
                number=f"DJSQ{year}{code}", coverage_year=year, insurance=insurance, created_by=by, created_at=_now()
            )
        app.persons = sum(line.persons for line in lines)
        app.owed_fen = sum(line.owed_fen for line in lines)
        app.save()
        app.lines.all().delete()
        DaijiaoLine.objects.bulk_create(
            DaijiaoLine(application=app, category=x.category, label=x.label, persons=x.persons, owed_fen=x.owed_fen)
            for x in lines
        )
        audit_record(
            actor=by,
            action="finance.daijiao.draw",
            obj=app,
            payload={"persons": app.persons, "owed_fen": app.owed_fen, "lines": [x.as_dict() for x in lines]},
        )
    return app


def application_submit(*, by: User, application_id: int | str) -> DaijiaoApplication:
    require_finance(by)
    with transaction.atomic():
        app = _application(application_id, lock=True)
        if app.status != ApplicationStatus.DRAFT:
            raise FinanceError("not_draft", _("Only a draft can be submitted."))
        if app.persons == 0:
            raise FinanceError("empty", _("The application has no persons to pay for."))
        app.status, app.submitted_at = ApplicationStatus.SUBMITTED, _now()
        app.save(update_fields=["status", "submitted_at"])
        audit_record(actor=by, action="finance.daijiao.submit", obj=app, payload={"owed_fen": app.owed_fen})
    return app


def application_approve(
    *, by: User, application_id: int | str, approved_fen: int | None = None, note: str = ""
) -> DaijiaoApplication:
    """Record the approval of a submitted application and the amount approved (the amount owed when omitted)."""
    require_finance(by)
    with transaction.atomic():
        app = _application(application_id, lock=True)
        if app.status != ApplicationStatus.SUBMITTED:
            raise FinanceError("not_submitted", _("Only a submitted application can be approved."))
        amount = app.owed_fen if approved_fen is None else approved_fen
        if amount < 0:
            raise FinanceError("bad_amount", _("The amount approved may not be negative."))
        app.status, app.approved_fen, app.approved_by, app.approved_at = "approved", amount, by, _now()
        app.note = note.strip()[:500] or app.note
        app.save(update_fields=["status", "approved_fen", "approved_by", "approved_at", "note"])
        audit_record(actor=by, action="finance.daijiao.approve", obj=app, payload={"approved_fen": amount})
    return app


def gov_paid_frame(year: int, insurance: str) -> pl.DataFrame:
    """Per entry, the government's part received (net ``other_fen``), and the batch numbers it came in."""
    return read_frame(
        "SELECT entry_id, SUM(other_fen), MAX(batch_no) FROM collection_payment "
        "WHERE coverage_year = %s AND insurance = %s AND entry_id IS NOT NULL AND other_fen <> 0 GROUP BY entry_id",
        [year, insurance],
        schema={"entry_id": pl.Int64, "gov_paid_fen": pl.Int64, "batch_no": pl.String},
    )


def not_covered_frame(year: int, insurance: str) -> pl.DataFrame:
    """The persons owed 代缴 whose government part has not (wholly) come in: entry, person, owed, paid, missing."""
    owed = owed_frame(year, insurance)
    paid = gov_paid_frame(year, insurance)
    return (
        owed.join(paid, on="entry_id", how="left")
        .with_columns(pl.col("gov_paid_fen").fill_null(0))
        .with_columns((pl.col("gov_fen") - pl.col("gov_paid_fen")).alias("missing_fen"))
        .filter(pl.col("missing_fen") > 0)
        .sort("entry_id")
    )


def _next_batch_no(insurance: str) -> str:
    stem = f"DJ{timezone.localdate():%Y%m%d}{'M' if insurance == 'medical' else 'P'}"
    taken = set(DaijiaoBatch.objects.filter(batch_no__startswith=stem).values_list("batch_no", flat=True))
    taken |= set(Payment.objects.filter(batch_no__startswith=stem).values_list("batch_no", flat=True).distinct())
    n = 1
    while f"{stem}{n:02d}" in taken:
        n += 1
    return f"{stem}{n:02d}"


def batch_produce(*, by: User, application_id: int | str) -> DaijiaoBatch:
    """Produce the 代缴 batch of an approved application: the gov-channel file collection imports (its layout in
    ``collection.channel_files``), for every person owed whose government part has not yet come in."""
    require_finance(by)
    with transaction.atomic():
        app = _application(application_id, lock=True)
        if app.status not in (ApplicationStatus.APPROVED, ApplicationStatus.PAID):
            raise FinanceError("not_approved", _("A batch is produced only for an approved application."))
        todo = not_covered_frame(app.coverage_year, app.insurance)
        if todo.is_empty():
            raise FinanceError("nothing_owed", _("Every person of the application is already paid for."))
        batch_no = _next_batch_no(app.insurance)
        campaign = campaign_of(app.coverage_year)
        people = read_frame(
            "SELECT e.id, p.id_number, p.name FROM roster_rosterentry e JOIN registry_person p ON p.id = e.person_id "
            "WHERE e.campaign_id = %s AND e.insurance = %s AND e.gov_fen > 0",
            [campaign.pk, app.insurance],
            schema={"entry_id": pl.Int64, "id_number": pl.String, "name": pl.String},
        )
        at = timezone.localtime(_now()).strftime("%Y-%m-%d %H:%M:%S")
        rows = todo.join(people, on="entry_id", how="left").select(
            pl.format("{}{}", pl.lit(batch_no), pl.col("entry_id").cast(pl.String).str.pad_start(8, "0")).alias(
                "txn_no"
            ),
            pl.lit(at).alias("paid_at"),
            pl.col("id_number").fill_null(""),
            pl.col("name").fill_null(""),
            pl.col("insurance"),
            pl.lit(app.coverage_year, dtype=pl.Int64).alias("coverage_year"),
            pl.col("missing_fen").alias("amount_fen"),
            pl.lit(batch_no).alias("batch_no"),
            pl.col("category"),
        )
        with tempfile.TemporaryDirectory() as folder:
            path = write_channel_csv("gov", rows, Path(folder) / f"{batch_no}.csv")
            content = path.read_bytes()
        batch = DaijiaoBatch.objects.create(
            application=app,
            batch_no=batch_no,
            persons=rows.height,
            amount_fen=int(rows.get_column("amount_fen").sum()),
            content=content.decode("utf-8"),
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=by,
            created_at=_now(),
        )
        audit_record(
            actor=by,
            action="finance.daijiao.batch",
            obj=batch,
            payload={"application": app.number, "persons": batch.persons, "amount_fen": batch.amount_fen},
        )
    return batch


def batch_adopt(*, by: User | None, application_id: int | str, batch_no: str) -> DaijiaoBatch:
    """Name a 代缴 batch collection already holds (paid before this application was recorded) as paying it."""
    if by is not None:
        require_finance(by)
    batch_no = batch_no.strip()
    with transaction.atomic():
        app = _application(application_id, lock=True)
        lines = Payment.objects.filter(
            batch_no=batch_no, insurance=app.insurance, coverage_year=app.coverage_year, channel=Channel.GOV
        )
        agg = lines.aggregate(s=Sum("other_fen"))
        persons = lines.values("entry_id").distinct().count()
        if not persons:
            raise FinanceError("no_batch", _("Collection holds no on-behalf batch %(batch)s.") % {"batch": batch_no})
        batch, made = DaijiaoBatch.objects.get_or_create(
            application=app,
            batch_no=batch_no,
            defaults={"persons": persons, "amount_fen": int(agg["s"] or 0), "created_by": by, "created_at": _now()},
        )
        if made:
            audit_record(actor=by, action="finance.daijiao.adopt", obj=batch, payload={"application": app.number})
    return batch


@dataclass
class Reconciled:
    application: DaijiaoApplication
    owed_fen: int
    paid_fen: int
    paid_persons: int
    not_covered: int
    not_covered_fen: int
    batches: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "application": self.application.number,
            "status": self.application.status,
            "owed_fen": self.owed_fen,
            "paid_fen": self.paid_fen,
            "paid_persons": self.paid_persons,
            "not_covered": self.not_covered,
            "not_covered_fen": self.not_covered_fen,
            "batches": self.batches,
        }


def application_reconcile(*, by: User | None, application_id: int | str) -> Reconciled:
    """Read what collection's records carry of the application's batch numbers; paid once they carry any.

    The paid figure is the net government part of the payments with those batch numbers; the persons owed whose
    part did not (wholly) come in are listed by :func:`not_covered_frame`.
    """
    if by is not None:
        require_finance(by)
    with transaction.atomic():
        app = _application(application_id, lock=True)
        numbers = list(app.batches.values_list("batch_no", flat=True))
        lines = Payment.objects.filter(
            batch_no__in=numbers, insurance=app.insurance, coverage_year=app.coverage_year
        ).exclude(batch_no="")
        paid_fen = int(lines.aggregate(s=Sum("other_fen"))["s"] or 0)
        paid_persons = lines.exclude(entry_id=None).values("entry_id").distinct().count()
        missing = not_covered_frame(app.coverage_year, app.insurance)
        changed = paid_fen != app.paid_fen or paid_persons != app.paid_persons
        app.paid_fen, app.paid_persons = paid_fen, paid_persons
        fields = ["paid_fen", "paid_persons"]
        if paid_fen > 0 and app.status == ApplicationStatus.APPROVED:
            app.status, app.paid_at = ApplicationStatus.PAID, _now()
            fields += ["status", "paid_at"]
            changed = True
        app.save(update_fields=fields)
        result = Reconciled(
            app,
            app.owed_fen,
            paid_fen,
            paid_persons,
            missing.height,
            int(missing.get_column("missing_fen").sum() or 0),
            numbers,
        )
        if changed:
            audit_record(actor=by, action="finance.daijiao.reconcile", obj=app, payload=result.as_dict())
    return result


# ------------------------------------------------------------------------------------------------- subsidies


def rates_of(year: int, insurance: str) -> list[tuple[int, int]]:
    """The year's subsidy standard of an insurance type as (from tier fen, subsidy fen), lowest first."""
    rows = SubsidyRate.objects.filter(coverage_year=year, insurance=insurance).order_by("from_tier_fen")
    found = [(r.from_tier_fen, r.rate_fen) for r in rows]
    if found:
        return found
    return _campaign_rates(year, insurance) or (
        list(PENSION_DEFAULT) if insurance == "pension" else [(0, MEDICAL_DEFAULT)]
    )


def _campaign_rates(year: int, insurance: str) -> list[tuple[int, int]]:
    """The campaign's own standard (SPEC 11: its tiers carry the subsidy), when it has one."""
    tiers = list(
        ContributionTier.objects.filter(campaign__coverage_year=year, insurance=insurance)
        .order_by("amount_fen")
        .values_list("amount_fen", "subsidy_fen")
    )
    if not tiers or not any(s for _a, s in tiers):
        return []
    if insurance == "medical":
        return [(0, int(tiers[0][1]))]
    out: list[tuple[int, int]] = []
    for amount, subsidy in tiers:
        if not out or out[-1][1] != subsidy:
            out.append((0 if not out else int(amount), int(subsidy)))
    return out


def rates_seed(*, by: User | None, year: int) -> dict[str, list[tuple[int, int]]]:
    """Write the year's standard (from the campaign's tiers, else the defaults) where none is kept yet."""
    if by is not None:
        require_finance(by)
    out = {}
    with transaction.atomic():
        for insurance in InsuranceType.values:
            if not SubsidyRate.objects.filter(coverage_year=year, insurance=insurance).exists():
                rows = _campaign_rates(year, insurance)
                source = "campaign" if rows else "default"
                rows = rows or (list(PENSION_DEFAULT) if insurance == "pension" else [(0, MEDICAL_DEFAULT)])
                SubsidyRate.objects.bulk_create(
                    SubsidyRate(
                        coverage_year=year,
                        insurance=insurance,
                        from_tier_fen=t,
                        rate_fen=r,
                        source=source,
                        updated_by=by,
                        updated_at=_now(),
                    )
                    for t, r in rows
                )
                audit_record(
                    actor=by,
                    action="finance.rates.seed",
                    object_type="finance.subsidyrate",
                    object_id=f"{year}-{insurance}",
                    payload={"rows": rows, "source": source},
                )
            out[insurance] = rates_of(year, insurance)
    return out


def rates_set(*, by: User, year: int, insurance: str, rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Replace the year's standard of an insurance type; pension keeps the national minimums (30, 60 from 500)."""
    require_finance(by)
    _insurance(insurance)
    clean = sorted({int(t): int(r) for t, r in rows}.items())
    if not clean or clean[0][0] != 0:
        raise FinanceError("bad_rates", _("The standard needs a row from the lowest tier (from 0)."))
    if any(r < 0 or t < 0 for t, r in clean):
        raise FinanceError("bad_rates", _("Tiers and subsidies may not be negative."))
    if insurance == "pension":
        for t, r in clean:
            floor = 6000 if t >= 50000 else 3000
            if r < floor:
                raise FinanceError(
                    "below_minimum",
                    _("The pension subsidy is at least 30 yuan a year, and at least 60 yuan from the 500 tier."),
                )
    elif len(clean) != 1:
        raise FinanceError("bad_rates", _("Medical insurance has one per-person subsidy."))
    with transaction.atomic():
        before = rates_of(year, insurance)
        SubsidyRate.objects.filter(coverage_year=year, insurance=insurance).delete()
        SubsidyRate.objects.bulk_create(
            SubsidyRate(
                coverage_year=year,
                insurance=insurance,
                from_tier_fen=t,
                rate_fen=r,
                source="edited",
                updated_by=by,
                updated_at=_now(),
            )
            for t, r in clean
        )
        audit_record(
            actor=by,
            action="finance.rates.set",
            object_type="finance.subsidyrate",
            object_id=f"{year}-{insurance}",
            payload={"before": before, "after": clean},
        )
    return clean


def _rate_join(frame: pl.DataFrame, rates: list[tuple[int, int]], tier_col: str) -> pl.DataFrame:
    """Give each row the rate of the highest standard row its tier reaches (an as-of join, no loop)."""
    table = pl.DataFrame(
        {"from_tier_fen": [t for t, _r in rates], "rate_fen": [r for _t, r in rates]},
        schema={"from_tier_fen": pl.Int64, "rate_fen": pl.Int64},
    ).sort("from_tier_fen")
    return (
        frame.sort(tier_col)
        .join_asof(table, left_on=tier_col, right_on="from_tier_fen", strategy="backward")
        .with_columns(pl.col("rate_fen").fill_null(0))
    )


def subsidy_payers(year: int, insurance: str, roster: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each paid person's subsidy: entry, person, net tier (own + government parts, net of refunds), rate.

    Pension: the contribution subsidy of the tier paid, credited to the payer; medical: the per-person fiscal
    subsidy, for each person collection counts as paid.
    """
    _insurance(insurance)
    settled = settled_frame(year, insurance)
    paid = paid_frame(year, insurance).with_columns((pl.col("own_fen") + pl.col("gov_fen")).alias("tier_fen"))
    roster = (roster_frame(year) if roster is None else roster).filter(pl.col("insurance") == insurance)
    roster = roster.select("entry_id", "person_id", "village_code")
    frame = (
        settled.join(paid, on="entry_id", how="inner")
        .filter(pl.col("tier_fen") > 0)
        .join(roster, on="entry_id", how="inner")
    )
    rates = rates_of(year, insurance)
    if insurance == "medical":
        return frame.with_columns(pl.lit(rates[0][1], dtype=pl.Int64).alias("rate_fen")).sort("entry_id")
    return _rate_join(frame, rates, "tier_fen").drop("from_tier_fen").sort("entry_id")


def subsidy_summary(year: int, insurance: str, roster: pl.DataFrame | None = None) -> dict[str, Any]:
    """The subsidy owed for the paid persons: persons, amount and per tier."""
    frame = subsidy_payers(year, insurance, roster)
    tiers = (
        frame.group_by("tier_fen" if insurance == "pension" else pl.lit(0).alias("tier_fen"), "rate_fen")
        .agg(pl.len().alias("persons"), pl.col("rate_fen").sum().alias("amount_fen"))
        .sort("tier_fen")
    )
    return {
        "insurance": insurance,
        "persons": frame.height,
        "amount_fen": int(frame.get_column("rate_fen").sum() or 0),
        "tiers": tiers.to_dicts(),
        "rates": rates_of(year, insurance),
    }


def subsidy_record(*, by: User | None, year: int) -> list[SubsidyFigure]:
    """Compute and keep the year's subsidy figures of both insurance types from the paid persons."""
    if by is not None:
        require_finance(by)
    out = []
    with transaction.atomic():
        for insurance in InsuranceType.values:
            s = subsidy_summary(year, insurance)
            figure, _made = SubsidyFigure.objects.update_or_create(
                coverage_year=year,
                insurance=insurance,
                defaults={
                    "persons": s["persons"],
                    "amount_fen": s["amount_fen"],
                    "tiers": s["tiers"],
                    "computed_by": by,
                    "computed_at": _now(),
                },
            )
            audit_record(
                actor=by,
                action="finance.subsidy.compute",
                obj=figure,
                payload={"persons": s["persons"], "amount_fen": s["amount_fen"]},
            )
            out.append(figure)
    return out


# ---------------------------------------------------------------------------- yearly application for funds


def fundrequest_estimate(year: int) -> list[dict[str, Any]]:
    """Estimate the year's fiscal funds from the roster: 代缴 owed, and subsidies at the expected payers (every
    person who must pay, at the tier the roster puts him down for)."""
    roster = roster_frame(year)
    out = []
    for insurance in InsuranceType.values:
        rows = roster.filter(pl.col("insurance") == insurance)
        owed = rows.filter(pl.col("gov_fen") > 0)
        out.append(
            {
                "flow": Flow.ON_BEHALF.value,
                "insurance": insurance,
                "persons": owed.height,
                "estimated_fen": int(owed.get_column("gov_fen").sum() or 0),
                "basis": "roster gov_fen",
            }
        )
        rates = rates_of(year, insurance)
        if insurance == "medical":
            amount = rows.height * rates[0][1]
        else:
            amount = int(_rate_join(rows, rates, "amount_fen").get_column("rate_fen").sum() or 0)
        out.append(
            {
                "flow": Flow.SUBSIDY.value,
                "insurance": insurance,
                "persons": rows.height,
                "estimated_fen": int(amount),
                "basis": "expected payers × rate",
            }
        )
    return out


def fundrequest_draw(*, by: User, year: int) -> FundRequest:
    require_finance(by)
    estimate = fundrequest_estimate(year)
    with transaction.atomic():
        req = FundRequest.objects.select_for_update().filter(coverage_year=year).first()
        if req is not None and req.status != ApplicationStatus.DRAFT:
            raise FinanceError("not_draft", _("The application is already submitted; it can no longer be redrawn."))
        if req is None:
            req = FundRequest.objects.create(coverage_year=year, created_by=by, created_at=_now())
        req.lines.all().delete()
        FundRequestLine.objects.bulk_create(FundRequestLine(request=req, **x) for x in estimate)
        audit_record(actor=by, action="finance.fundrequest.draw", obj=req, payload={"lines": estimate})
    return req


def _fundrequest(year: int, *, lock: bool = False) -> FundRequest:
    qs = FundRequest.objects.select_for_update() if lock else FundRequest.objects.all()
    req = qs.filter(coverage_year=year).first()
    if req is None:
        raise FinanceError("no_request", _("No application for fiscal funds for this year yet."))
    return req


def fundrequest_submit(*, by: User, year: int) -> FundRequest:
    require_finance(by)
    with transaction.atomic():
        req = _fundrequest(year, lock=True)
        if req.status != ApplicationStatus.DRAFT:
            raise FinanceError("not_draft", _("Only a draft can be submitted."))
        req.status, req.submitted_at = ApplicationStatus.SUBMITTED, _now()
        req.save(update_fields=["status", "submitted_at"])
        audit_record(actor=by, action="finance.fundrequest.submit", obj=req)
    return req


def fundrequest_approve(*, by: User, year: int, approved: dict[tuple[str, str], int], note: str = "") -> FundRequest:
    """Record the amounts approved per flow and insurance type (the estimate where not given)."""
    require_finance(by)
    with transaction.atomic():
        req = _fundrequest(year, lock=True)
        if req.status != ApplicationStatus.SUBMITTED:
            raise FinanceError("not_submitted", _("Only a submitted application can be approved."))
        lines = list(req.lines.all())
        for line in lines:
            amount = approved.get((line.flow, line.insurance), line.estimated_fen)
            if amount < 0:
                raise FinanceError("bad_amount", _("The amount approved may not be negative."))
            line.approved_fen = amount
        FundRequestLine.objects.bulk_update(lines, ["approved_fen"])
        req.status, req.approved_at, req.approved_by = ApplicationStatus.APPROVED, _now(), by
        req.note = note.strip()[:500] or req.note
        req.save(update_fields=["status", "approved_at", "approved_by", "note"])
        audit_record(
            actor=by,
            action="finance.fundrequest.approve",
            obj=req,
            payload={f"{x.flow}:{x.insurance}": x.approved_fen for x in lines},
        )
    return req


# ------------------------------------------------------------------------------------------------- transfers


def transfer_record(
    *,
    by: User,
    flow: str,
    insurance: str,
    amount_fen: int,
    value_date: date,
    reference: str = "",
    coverage_year: int | None = None,
    from_account_id: int | None = None,
    to_account_id: int | None = None,
    note: str = "",
) -> Transfer:
    """Record a transfer of one flow to an insurance's fiscal special account (or between its accounts)."""
    require_finance(by)
    if flow not in Flow.values:
        raise FinanceError("bad_flow", _("Unknown flow: %(value)s.") % {"value": flow})
    _insurance(insurance)
    if amount_fen <= 0:
        raise FinanceError("bad_amount", _("A transfer's amount must be positive."))
    to_account = FundAccount.objects.filter(pk=to_account_id).first() if to_account_id else fiscal_account(insurance)
    from_account = FundAccount.objects.filter(pk=from_account_id).first() if from_account_id else None
    if to_account is None or (from_account_id and from_account is None):
        raise FinanceError("no_account", _("No such account."))
    if to_account.insurance != insurance or (from_account and from_account.insurance != insurance):
        raise FinanceError("mixed", _("The three flows and the two insurance types are kept apart: wrong account."))
    if from_account is not None and from_account.pk == to_account.pk:
        raise FinanceError("same_account", _("The accounts from and to must differ."))
    with transaction.atomic():
        record = Transfer.objects.create(
            flow=flow,
            insurance=insurance,
            from_account=from_account,
            to_account=to_account,
            amount_fen=amount_fen,
            value_date=value_date,
            period=f"{value_date:%Y-%m}",
            coverage_year=coverage_year,
            reference=reference.strip()[:60],
            note=note.strip()[:200],
            created_by=by,
            created_at=_now(),
        )
        audit_record(
            actor=by,
            action="finance.transfer.record",
            obj=record,
            payload={"flow": flow, "insurance": insurance, "amount_fen": amount_fen, "to": to_account.number},
        )
    from .statements import statement_match

    statement_match(account_ids=[to_account.pk] + ([from_account.pk] if from_account else []))
    return record
