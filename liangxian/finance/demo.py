"""The finance demo (run after ``demo-collection``): accounts, the year's subsidy standard, the 代缴 applications
of the coverage year paid by the demo's 代缴 batches, the subsidy figures and the yearly application for funds, a
few transfers to the medical fiscal special account and its MT940 statement. Running it again adds nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Sum

from liangxian.campaigns.models import InsuranceType
from liangxian.collection.models import Channel, Payment
from liangxian.org.models import Department, UnitKind, User

from . import selectors, services, statements
from .models import AccountKind, ApplicationStatus, DaijiaoApplication, FundAccount, FundRequest, Transfer

YEAR = 2027
TRANSFER_DAY = date(2026, 11, 28)


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _finance_user() -> User | None:
    user = User.objects.filter(username="finance", is_active=True).first()
    return user or (
        User.objects.filter(unit__kind=UnitKind.DEPARTMENT, unit__department=Department.FINANCE, is_active=True)
        .order_by("pk")
        .first()
    )


def _application(by: User, insurance: str) -> dict[str, Any]:
    app = DaijiaoApplication.objects.filter(coverage_year=YEAR, insurance=insurance).first()
    if app is None or app.status == ApplicationStatus.DRAFT:
        app = services.application_draw(by=by, year=YEAR, insurance=insurance)
        if app.persons == 0:
            return {"insurance": insurance, "status": app.status, "persons": 0}
        services.application_submit(by=by, application_id=app.pk)
    batches = sorted(
        Payment.objects.filter(channel=Channel.GOV, insurance=insurance, coverage_year=YEAR)
        .exclude(batch_no="")
        .values_list("batch_no", flat=True)
        .distinct()
    )
    app.refresh_from_db()
    if batches and app.status == ApplicationStatus.SUBMITTED:
        services.application_approve(by=by, application_id=app.pk, note="演示：按名册应代缴金额批准")
    if batches:
        for batch_no in batches:
            services.batch_adopt(by=by, application_id=app.pk, batch_no=batch_no)
        rec = services.application_reconcile(by=by, application_id=app.pk)
        return {"insurance": insurance, **rec.as_dict()}
    return {"insurance": insurance, "status": app.status, "persons": app.persons}


def _transfer(by: User, flow: str, insurance: str, amount_fen: int, reference: str) -> Transfer | None:
    found = Transfer.objects.filter(reference=reference).first()
    if found is not None or amount_fen <= 0:
        return found
    income = FundAccount.objects.filter(insurance=insurance, kind=AccountKind.INCOME).first()
    return services.transfer_record(
        by=by,
        flow=flow,
        insurance=insurance,
        amount_fen=amount_fen,
        value_date=TRANSFER_DAY,
        reference=reference,
        coverage_year=YEAR,
        from_account_id=income.pk if income and flow == "contributions" else None,
        note="演示",
    )


def demo_seed(*, stdout: Any = None) -> dict[str, Any]:
    """Seed finance's demo figures for the coverage year 2027; idempotent."""
    by = _finance_user()
    if by is None:
        raise services.FinanceError("no_user", "no finance bureau user: run demo-users first")
    services.campaign_of(YEAR)
    services.accounts_seed(by=by)
    services.rates_seed(by=by, year=YEAR)
    result: dict[str, Any] = {"applications": [], "transfers": []}
    for insurance in InsuranceType.values:
        result["applications"].append(_application(by, insurance))
    _say(stdout, f"finance: 代缴 applications {result['applications']}")
    figures = services.subsidy_record(by=by, year=YEAR)
    result["subsidies"] = {f.insurance: {"persons": f.persons, "amount_fen": f.amount_fen} for f in figures}
    if not FundRequest.objects.filter(coverage_year=YEAR).exists():
        services.fundrequest_draw(by=by, year=YEAR)
        services.fundrequest_submit(by=by, year=YEAR)
        services.fundrequest_approve(by=by, year=YEAR, approved={}, note="演示：按测算批准")

    # Medical: the 代缴 received, the contributions collected and the subsidy, each to the fiscal special account.
    sums = Payment.objects.filter(coverage_year=YEAR, insurance="medical").aggregate(
        own=Sum("amount_fen"), gov=Sum("other_fen")
    )
    subsidy = next(f.amount_fen for f in figures if f.insurance == "medical")
    made = [
        _transfer(by, "on_behalf", "medical", int(sums["gov"] or 0), "HZ2027-390-DJ"),
        _transfer(by, "contributions", "medical", int(sums["own"] or 0), "HZ2027-390-LX"),
        _transfer(by, "subsidy", "medical", subsidy, "HZ2027-390-BT"),
    ]
    result["transfers"] = [(t.reference, t.amount_fen) for t in made if t is not None]
    fiscal = services.fiscal_account("medical")
    bookings = [
        {"value_date": t.value_date, "amount_fen": t.amount_fen, "reference": t.reference, "description": t.note}
        for t in made
        if t is not None and t.flow != "subsidy"  # the subsidy is not yet on the bank's statement
    ]
    bookings.append(
        {"value_date": date(2026, 11, 30), "amount_fen": 12000, "reference": "NONREF", "description": "利息"}
    )
    text = statements.write_mt940(fiscal, bookings, reference="STMT2026-11-390")
    imported = statements.statement_import(
        by=by, account_id=fiscal.pk, data=text.encode(), filename="medical-fiscal-2026-11.sta"
    )
    result["statement"] = {"id": imported.statement.pk, "repeat": imported.repeat, **imported.statement.counts}
    result["check"] = {
        insurance: {c.code: c.ok for c in selectors.overview(YEAR, insurance)["checks"]}
        for insurance in InsuranceType.values
    }
    _say(stdout, f"finance: subsidies {result['subsidies']}; transfers {result['transfers']}; check {result['check']}")
    return result
