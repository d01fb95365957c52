"""A small Yengisar with its departments, two townships, the 2026 calendar confirmed and the rules loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.core import calendar as cal
from liangxian.core.models import Division, DivisionLevel
from liangxian.obligations.services import rules_load
from liangxian.org.models import Role, Unit, User
from liangxian.org.services import org_bootstrap, user_create

PASSWORD = "Test-password-1"
TOWN_A = "653123100"
TOWN_B = "653123101"


@pytest.fixture
def units(db: None) -> dict[str, Unit]:
    county = Division.objects.create(code="653123", name="英吉沙县", level=DivisionLevel.COUNTY)
    t1 = Division.objects.create(code=TOWN_A, name="英吉沙镇", level=DivisionLevel.TOWNSHIP, parent=county)
    t2 = Division.objects.create(code=TOWN_B, name="乌恰镇", level=DivisionLevel.TOWNSHIP, parent=county)
    Division.objects.create(code="653123100001", name="其兰巴格社区", level=DivisionLevel.VILLAGE, parent=t1)
    Division.objects.create(code="653123101201", name="阿亚格博依村", level=DivisionLevel.VILLAGE, parent=t2)
    org_bootstrap(county_code="653123")
    return {u.code: u for u in Unit.objects.all()}


def make_user(username: str, unit: Unit | None, role: str = Role.STAFF) -> User:
    return user_create(
        actor=None,
        username=username,
        password=PASSWORD,
        unit=unit,
        role=role,
        full_name=username,
        phone="13999800000",
    )


@pytest.fixture
def calendar_2026(db: None) -> None:
    """The official 2026 calendar (chinesecalendar), confirmed; 2027 not entered."""
    cal.calendar_seed(actor=None, first_year=2026, last_year=2026)
    cal.calendar_year_confirm(actor=None, year=2026)


@pytest.fixture
def rules(db: None) -> None:
    rules_load(actor=None)


@pytest.fixture
def campaign(units: dict[str, Unit], calendar_2026: None, rules: None) -> Campaign:
    """Coverage year 2027 collected in 2026, with a short period so that E + 7 working days spans National Day."""
    now = timezone.now()
    return Campaign.objects.create(
        coverage_year=2027,
        collection_year=2026,
        name="2027年度城乡居民两险集中征缴",
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 9, 28),
        status="active",
        created_at=now,
        updated_at=now,
    )
