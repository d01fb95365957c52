"""A small county with October 2026 payments that fall under each cause of a difference (Art 36-37).

Medical, township A: P1 400 (10-10), P2 400 (10-15) and its refund −400 (10-25), P3 government 代缴 200
(10-20), P4 380 on the month's last day (10-31), P6 410 entered into the treasury on 11-02; township B: P7
390 with an open queue issue (no township), P8 400 (10-14). Pension, township A: Q1 200 and its reversal on
10-16, Q3 300 on 10-31. November: N1 medical 400 (11-02).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.utils import timezone

from liangxian.collection.models import Payment, PaymentIssue
from liangxian.core.calendar import calendar_seed
from liangxian.core.models import CalendarYear
from liangxian.obligations.services import obligations_generate, rules_load
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f
from liangxian.roster.tests.due_fixtures import campaign

MONTH = "2026-10"


def at(day: date, hour: int = 12) -> datetime:
    """A moment of a local day (Asia/Shanghai), as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_default_timezone()).astimezone(UTC)


def payment(txn: str, insurance: str, amount: int, day: date, **extra: Any) -> Payment:
    return Payment.objects.create(
        channel=extra.pop("channel", "wechat"),
        txn_no=txn,
        id_number=extra.pop("id_number", f.id_number()),
        name=extra.pop("name", "阿依古丽"),
        insurance=insurance,
        coverage_year=2027,
        amount_fen=amount,
        paid_at=at(day, extra.pop("hour", 12)),
        source="api",
        township_code=extra.pop("township", f.TOWN_A),
        recorded_at=timezone.now(),
        **extra,
    )


def _department(name: str) -> Any:
    """A county department under the code the obligation rules give it ("653123-medical")."""
    return f.user(f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department=name, code=f"{f.COUNTY}-{name}"))


def bureaus_county() -> dict[str, Any]:
    f.county()
    town_a = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a")
    calendar_seed(actor=None, first_year=2026, last_year=2027)
    CalendarYear.objects.update(confirmed=True)
    rules_load(actor=None)
    c: dict[str, Any] = {
        "tax": _department("tax"),
        "medical": _department("medical"),
        "social": _department("social"),
        "township": f.user(town_a, Role.STAFF, username="town_a"),
    }
    obligations_generate(actor=None, campaign=campaign(start=date(2026, 11, 1)))
    d = date
    p2 = payment("WX-2", "medical", 40000, d(2026, 10, 15), channel="hall", name="=HYPERLINK(1)")
    q1 = payment("WX-Q1", "pension", 20000, d(2026, 10, 16), tier_fen=20000)
    c["payments"] = {
        "p1": payment("WX-1", "medical", 40000, d(2026, 10, 10), etax_voucher="EV1"),
        "p2": p2,
        "p3": payment("GOV-3", "medical", 0, d(2026, 10, 20), channel="gov", other_fen=20000, batch_no="B1"),
        "p4": payment("WX-4", "medical", 38000, d(2026, 10, 31), hour=20),
        "p5": payment("RF-5", "medical", -40000, d(2026, 10, 25), kind="refund", original=p2, id_number=p2.id_number),
        "p6": payment("POS-6", "medical", 41000, d(2026, 10, 12), channel="pos", treasury_date=d(2026, 11, 2)),
        "p7": payment("WX-7", "medical", 39000, d(2026, 10, 13), township=""),
        "p8": payment("WX-8", "medical", 40000, d(2026, 10, 14), township=f.TOWN_B),
        "q1": q1,
        "q2": payment(
            "RV-Q2", "pension", -20000, d(2026, 10, 16), kind="reversal", original=q1, id_number=q1.id_number
        ),
        "q3": payment("WX-Q3", "pension", 30000, d(2026, 10, 31), tier_fen=30000),
        "n1": payment("WX-N1", "medical", 40000, d(2026, 11, 2)),
    }
    PaymentIssue.objects.create(
        payment=c["payments"]["p7"], reason="unknown_person", raised_at=timezone.now(), township_code=""
    )
    return c


def send_on_time(month_last: date = date(2026, 10, 31)) -> None:
    """Pretend the scheduler sent each day's detail the next morning: all before the month's end but the last day."""
    from liangxian.bureaus.models import DailyFile

    DailyFile.objects.filter(day__lt=month_last).update(generated_at=at(month_last, 9))
    DailyFile.objects.filter(day=month_last).update(generated_at=at(date(2026, 11, 1), 9))
