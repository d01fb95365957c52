"""Payment test fixtures: a roster entry for one person, and a fixed payment time inside the campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from liangxian.campaigns.models import Campaign
from liangxian.registry.tests import factories as f
from liangxian.roster.models import RosterBuild, RosterEntry
from liangxian.roster.tests import due_fixtures as due

__all__ = ["f", "paid_at", "roster_entry"]


def paid_at() -> datetime:
    return datetime(2026, 11, 2, 4, 30, tzinfo=UTC)


def _campaign_and_build(year: int = 2027) -> tuple[Campaign, RosterBuild]:
    the_campaign = Campaign.objects.filter(coverage_year=year).first() or due.campaign(year=year)
    the_build = RosterBuild.objects.filter(campaign=the_campaign).first() or due.build(the_campaign)
    return the_campaign, the_build


def roster_entry(insurance: str = "medical", *, person: Any = None, **extra: Any) -> RosterEntry:
    """Create (in a county with a 2027 campaign and build) a person and his roster entry for the insurance."""
    if person is None:
        if not RosterBuild.objects.exists():
            f.county()
        person = f.person(f.VILLAGE_A1)
    _, the_build = _campaign_and_build()
    own = extra.pop("own_fen", 40000)
    gov = extra.get("gov_fen", 0)
    extra.setdefault("amount_fen", own + gov)
    return due.entry(person, the_build, insurance=insurance, own_fen=own, **extra)
