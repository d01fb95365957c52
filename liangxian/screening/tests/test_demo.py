"""The demo's planted frauds are each caught by their rule; the honest cash village raises no alarm; idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from liangxian.core.models import Division, DivisionLevel
from liangxian.obligations.services import rules_load as obligation_rules_load
from liangxian.org.models import Role, UnitKind
from liangxian.roster.tests.due_fixtures import due_county, entry, f

from ..demo import CARD_HASH, demo_seed
from ..models import Hit, ScreeningRun
from .fixtures import _authorise, at, receipt

pytestmark = pytest.mark.django_db
VILLAGE_B2 = "653123200002"


@pytest.fixture
def demo_county() -> dict[str, Any]:
    """The demo's shape in small: tax, the demo collector's honest cash in 一村 (one receipt left open, as the demo
    collection leaves one), and three villages with payers still to pay."""
    county = due_county()
    obligation_rules_load(actor=None)
    campaign = county["campaign"]
    campaign.period_start = timezone.localdate() - dt.timedelta(days=60)
    campaign.period_end = campaign.period_start + dt.timedelta(days=90)
    campaign.save()
    county["tax"].username = "tax"
    county["tax"].save()
    Division.objects.create(code=VILLAGE_B2, name="四村", level=DivisionLevel.VILLAGE, parent_id=f.TOWN_B)
    for code in (f.VILLAGE_A2, f.VILLAGE_B1, VILLAGE_B2):
        f.unit(code, kind=UnitKind.VILLAGE, code=f"village-{code}")
    honest = f.user(county["village_a1_user"].unit, Role.COLLECTOR, username="collector")
    _authorise(honest, county["village_a1_user"].unit, county["tax"])
    build = county["build"]
    a1 = [entry(f.person(f.VILLAGE_A1, name=f"艾力{i}"), build) for i in range(5)]
    for i, e in enumerate(a1[:4]):
        receipt(honest, e, received_at=at(20 + i), paid_in=True)
    receipt(honest, a1[4], received_at=at(19), paid_in=False)
    for i in range(4):
        entry(f.person(f.VILLAGE_A2, name=f"图尔荪{i}"), build)
    for i in range(2):
        entry(f.person(f.VILLAGE_B1, name=f"阿曼{i}"), build)
    for i in range(32):
        entry(f.person(VILLAGE_B2, name=f"买买提{i}"), build)
    return county


def test_each_planted_fraud_is_caught_by_its_own_rule_and_nothing_else_is(demo_county: dict[str, Any]) -> None:
    result = demo_seed(year=2027)

    assert result["keeper"]["village"] == f.VILLAGE_A2 and len(result["keeper"]["hits"]) == 1
    assert result["overcharge"]["village"] == f.VILLAGE_B1 and len(result["overcharge"]["hits"]) == 3
    assert len(result["card"]["hits"]) == 1
    card = Hit.objects.get(pk=result["card"]["hits"][0])
    assert card.account_hash == CARD_HASH and card.evidence["households"] == 30
    assert card.village_code == VILLAGE_B2
    assert result["other_hits_of_these_rules"] == []
    kept = Hit.objects.get(pk=result["keeper"]["hits"][0])
    assert kept.evidence["open_receipts"] == 4


def test_a_second_seed_changes_nothing(demo_county: dict[str, Any]) -> None:
    first = demo_seed(year=2027)
    hits, runs = Hit.objects.count(), ScreeningRun.objects.count()
    second = demo_seed(year=2027)
    assert second == first
    assert (Hit.objects.count(), ScreeningRun.objects.count()) == (hits, runs)
