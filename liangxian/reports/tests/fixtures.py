"""A small county with payments of every kind, two townships, accounts and transfers, and the sums by hand.

Times are Beijing (the county's official) time. November 2026, medical insurance:

=====  ========  ===========  ======  ========  =======  =====================================
txn    channel   township     own     代缴       treasury  note
=====  ========  ===========  ======  ========  =======  =====================================
P1     wechat    A            400.00            yes      id1
P2     hall      A            400.00            no       id2, refunded by R1
R1     hall      A            -400.00           no       refund of P2
P3     wechat    B            400.00            yes      id3
P5     wechat    B            400.00            yes      id6, reversed by V1
V1     wechat    B            -400.00           yes      reversal of P5
G1     gov       A                    200.00    yes      id4's 代缴 (batch DJ-1)
C1     hall      A            200.00            no       id4's own part, cash paid in
P7     wechat    (none)       400.00            no       id8, matched no one
P8     wechat    A            400.00            no       id10, 30 Nov 23:30 (still November)
P9     wechat    A            350.00            yes      id9, coverage year 2026
=====  ========  ===========  ======  ========  =======  =====================================

Pension, November: P4 pos A 200.00 (id1, treasury), G2 gov B 代缴 100.00 (id5, not yet).
Outside November: P6 bank A 400.00 medical on 15 Oct (treasury); P10 wechat A 400.00 medical 1 Dec 00:30.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from liangxian.collection.models import Payment
from liangxian.finance.models import FundAccount, Transfer
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f
from liangxian.roster.tests.due_fixtures import campaign

BEIJING = ZoneInfo("Asia/Shanghai")
A, B = f.TOWN_A, f.TOWN_B
IDS = {n: f.id_number() for n in range(1, 12)}

# Hand-computed figures of November 2026 (fen).
NOVEMBER: dict[str, dict[str, int]] = {
    "medical": {
        "payments": 9,
        "refunds": 1,
        "reversals": 1,
        "gross_fen": 315000,
        "refund_fen": 40000,
        "reversal_fen": 40000,
        "net_fen": 235000,
        "own_fen": 215000,
        "gov_fen": 20000,
        "treasury_fen": 135000,
        "pending_fen": 100000,
        "persons": 6,
        "persons_own": 6,
        "persons_gov": 1,
    },
    "pension": {
        "payments": 2,
        "refunds": 0,
        "reversals": 0,
        "gross_fen": 30000,
        "refund_fen": 0,
        "reversal_fen": 0,
        "net_fen": 30000,
        "own_fen": 20000,
        "gov_fen": 10000,
        "treasury_fen": 20000,
        "pending_fen": 10000,
        "persons": 2,
        "persons_own": 1,
        "persons_gov": 1,
    },
    "": {
        "payments": 11,
        "refunds": 1,
        "reversals": 1,
        "gross_fen": 345000,
        "refund_fen": 40000,
        "reversal_fen": 40000,
        "net_fen": 265000,
        "own_fen": 235000,
        "gov_fen": 30000,
        "treasury_fen": 155000,
        "pending_fen": 110000,
        "persons": 7,
        "persons_own": 6,
        "persons_gov": 2,
    },
}


def at(day: str, hhmm: str = "12:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BEIJING)


def payment(
    txn: str,
    channel: str,
    township: str,
    own: int,
    who: int,
    when: datetime,
    *,
    insurance: str = "medical",
    gov: int = 0,
    kind: str = "payment",
    original: Payment | None = None,
    treasury: date | None = None,
    year: int = 2027,
) -> Payment:
    source = {"gov": "batch", "hall": "cash" if txn.startswith("C") else "file"}.get(channel, "file")
    return Payment.objects.create(
        channel=channel,
        txn_no=txn,
        kind=kind,
        original=original,
        id_number=IDS[who],
        name=f"缴费人{who}",
        insurance=insurance,
        coverage_year=year,
        amount_fen=own,
        other_fen=gov,
        paid_at=when,
        treasury_date=treasury,
        batch_no="DJ-1" if channel == "gov" else "",
        source=source,
        township_code=township,
        village_code=f"{township}001" if township else "",
        recorded_at=timezone.now(),
    )


def report_county(*, with_accounts: bool = True) -> dict[str, Any]:
    """Build the county, its users, the campaign of 2027 and the payments above (and the accounts, transfers)."""
    f.county()
    the_campaign = campaign(year=2027)
    town_a = f.unit(A, kind=UnitKind.TOWNSHIP, code="township-a")
    town_b = f.unit(B, kind=UnitKind.TOWNSHIP, code="township-b")
    county: dict[str, Any] = {
        "campaign": the_campaign,
        "tax": f.department("tax"),
        "finance": f.department("finance"),
        "police": f.department("police"),
        "town_a": f.user(town_a, Role.SPECIALIST, username="town_a"),
        "town_b": f.user(town_b, Role.SPECIALIST, username="town_b"),
    }
    t = date(2026, 11, 28)
    payment("P1", "wechat", A, 40000, 1, at("2026-11-02"), treasury=t)
    p2 = payment("P2", "hall", A, 40000, 2, at("2026-11-05"))
    payment("R1", "hall", A, -40000, 2, at("2026-11-20"), kind="refund", original=p2)
    payment("P3", "wechat", B, 40000, 3, at("2026-11-06"), treasury=t)
    p5 = payment("P5", "wechat", B, 40000, 6, at("2026-11-12", "09:00"), treasury=t)
    payment("V1", "wechat", B, -40000, 6, at("2026-11-12", "10:00"), kind="reversal", original=p5, treasury=t)
    payment("G1", "gov", A, 0, 4, at("2026-11-10"), gov=20000, treasury=t)
    payment("C1", "hall", A, 20000, 4, at("2026-11-11"))
    payment("P7", "wechat", "", 40000, 8, at("2026-11-15"))
    payment("P8", "wechat", A, 40000, 10, at("2026-11-30", "23:30"))
    payment("P9", "wechat", A, 35000, 9, at("2026-11-03"), treasury=t, year=2026)
    payment("P4", "pos", A, 20000, 1, at("2026-11-07"), insurance="pension", treasury=t)
    payment("G2", "gov", B, 0, 5, at("2026-11-10"), insurance="pension", gov=10000)
    payment("P6", "bank", A, 40000, 7, at("2026-10-15"), treasury=date(2026, 10, 20))
    payment("P10", "wechat", A, 40000, 11, at("2026-12-01", "00:30"))
    if with_accounts:
        county.update(accounts_and_transfers())
    return county


def accounts_and_transfers() -> dict[str, Any]:
    """Five accounts and six transfers; in November the medical income account sends 1,500 + 200 to its fiscal
    special account, the budget adds 3,000 of subsidy, the fiscal special account pays 1,000 to expenditure."""

    def account(insurance: str, kind: str, name: str, number: str) -> FundAccount:
        return FundAccount.objects.create(insurance=insurance, kind=kind, name=name, bank="农行", number=number)

    m_in = account("medical", "income", "医保收入户", "M-IN")
    m_fs = account("medical", "fiscal", "医保财政专户", "M-FS")
    m_ex = account("medical", "expenditure", "医保支出户", "M-EX")
    p_in = account("pension", "income", "养老收入户", "P-IN")
    p_fs = account("pension", "fiscal", "养老财政专户", "P-FS")
    account("pension", "expenditure", '=HYPERLINK("http://x","y")', "P-EX")

    def transfer(flow: str, insurance: str, src: FundAccount | None, dst: FundAccount, fen: int, day: date) -> None:
        Transfer.objects.create(
            flow=flow,
            insurance=insurance,
            from_account=src,
            to_account=dst,
            amount_fen=fen,
            value_date=day,
            period=f"{day:%Y-%m}",
            coverage_year=2027,
            reference=f"HZ-{flow}-{fen}",
            created_at=timezone.now(),
        )

    transfer("contributions", "medical", m_in, m_fs, 150000, date(2026, 11, 15))
    transfer("on_behalf", "medical", m_in, m_fs, 20000, date(2026, 11, 16))
    transfer("subsidy", "medical", None, m_fs, 300000, date(2026, 11, 20))
    transfer("contributions", "pension", p_in, p_fs, 20000, date(2026, 11, 25))
    transfer("contributions", "medical", m_in, m_fs, 50000, date(2026, 12, 2))
    transfer("contributions", "medical", m_fs, m_ex, 100000, date(2026, 11, 28))
    return {"m_in": m_in, "m_fs": m_fs}
