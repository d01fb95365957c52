"""A small county with the editors and readers of a campaign, and a campaign made from the defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from liangxian.campaigns import services
from liangxian.campaigns.models import Campaign
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f


@pytest.fixture
def county(db: Any) -> dict[str, Any]:
    f.county()
    tax = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="tax", code="dept-tax")
    town = f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="town-a")
    return {
        "tax": f.user(tax, Role.STAFF, username="tax", full_name="李建国"),
        "tax_leader": f.user(tax, Role.LEADER, username="tax_leader"),
        "medical": f.department("medical"),
        "social": f.department("social"),
        "civil": f.department("civil"),
        "township": f.user(town, Role.SPECIALIST, username="township"),
        "admin": f.user(None, Role.SYSADMIN, username="admin", is_superuser=True),
    }


@pytest.fixture
def campaign(county: dict[str, Any]) -> Campaign:
    return services.campaign_create(
        actor=county["tax"],
        coverage_year=2027,
        collection_year=2026,
        period_start=dt.date(2026, 10, 8),
        period_end=dt.date(2026, 12, 31),
    )
