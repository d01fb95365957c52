"""A small county for the cash tests: township A's village A1 with an authorised collector and payers to pay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from liangxian.org.models import CollectorAuthorisation, Role, UnitKind
from liangxian.roster.models import RosterEntry
from liangxian.roster.tests.due_fixtures import due_county, entry, f

__all__ = ["authorise", "cash_county", "f"]


def authorise(collector: Any, village: Any, granted_by: Any, *, days_ago: int = 1) -> CollectorAuthorisation:
    today = timezone.localdate()
    return CollectorAuthorisation.objects.create(
        collector=collector,
        village=village,
        granted_by=granted_by,
        granted_at=timezone.now(),
        valid_from=today - timedelta(days=days_ago),
    )


def cash_county() -> dict[str, Any]:
    """``due_county`` plus: collector ``village_a1`` authorised for 一村, and 吐尔逊 (cash only, medical 400 yuan)."""
    county = due_county()
    village_a1 = county["village_a1_user"].unit
    authorise(county["village_a1_user"], village_a1, county["tax"])
    tursun = f.person(f.VILLAGE_A1, name="吐尔逊·买买提")
    county["people"]["tursun"] = tursun
    county["tursun_entry"] = entry(tursun, county["build"], cash_only=True)
    county["aygul_entry"] = RosterEntry.objects.get(person=county["people"]["aygul"], insurance="medical")
    county["li_entry"] = RosterEntry.objects.get(person=county["people"]["li"], insurance="medical")
    # A collector of 二村 without any authorisation, and a village head of 一村 (not a collector).
    village_a2 = f.unit(f.VILLAGE_A2, kind=UnitKind.VILLAGE, code="village-a2")
    county["unauthorised"] = f.user(village_a2, Role.COLLECTOR, username="village_a2")
    county["collector"] = county["village_a1_user"]
    return county
