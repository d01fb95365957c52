"""The demo's outreach: something in every part, some units falling short, and a second run changes nothing."""

from __future__ import annotations

import pytest

from liangxian.org.models import Role
from liangxian.outreach import selectors
from liangxian.outreach.demo import demo_seed
from liangxian.outreach.models import Activity, CountyNotice, PostingProof
from liangxian.registry.tests import factories as f

from .fixtures import dept, outreach_county

pytestmark = pytest.mark.django_db


def test_demo_seed_fills_every_part_leaves_some_short_and_runs_twice() -> None:
    county = outreach_county()
    dept("finance")
    f.user(county["town_a"], Role.SPECIALIST, username="township")
    f.user(county["villages"][f.VILLAGE_A1], Role.COLLECTOR, username="collector")
    f.user(county["villages"][f.VILLAGE_A1], Role.VILLAGE_HEAD, username="village_head")
    f.User.objects.create_superuser(username="admin", password=f.PASSWORD)

    report = demo_seed(year=2027)

    assert report["activities_created"] == report["activities"] == Activity.objects.count() == 8
    assert set(Activity.objects.values_list("kind", flat=True)) == {"training", "drill", "inspection", "publicity"}
    assert Activity.objects.get(kind="drill").practice_site is True
    assert CountyNotice.objects.get().status == "published"
    assert sorted(PostingProof.objects.values_list("village_code", flat=True)) == [f.VILLAGE_A1, f.VILLAGE_A2]
    assert PostingProof.objects.all()[0].photo.read().startswith(b"\x89PNG")
    short = {(r.kind, r.code) for r in selectors.shortfall(2026).short}
    assert ("training", "social") in short and ("training", "tax") not in short
    assert ("inspection", f.TOWN_A) not in short and ("inspection", f.TOWN_B) in short
    assert ("drill", "tax") in short

    again = demo_seed(year=2027)
    assert again == {"activities_created": 0, "activities": 8, "notice_published": False, "proofs_uploaded": 0}
    assert Activity.objects.count() == 8 and PostingProof.objects.count() == 2
