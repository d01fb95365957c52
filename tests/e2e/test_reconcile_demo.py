"""Issue 6's "done when", on a small synthetic county: the demo's reconciliation after its collection period.

`make setup` runs `demo-reconcile` after `demo-collection`: October 2026's People's Bank statement with exactly
three deliberate differences (a missing line, a wrong amount, a reversal), the bureaus' entitlement records with
a handful withheld (the white list), and finance's flows, whose figures add up to the roster's.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from liangxian.collection.models import Payment
from liangxian.entitlements.models import Entitlement, EntryStatus, WhitelistEntry
from liangxian.org.models import User
from liangxian.treasury.models import Difference

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo_collected(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    _run("calendar", "load", "--confirm-through", "2026")
    _run("divisions", "load")
    _run("org", "bootstrap")
    _run("exchange", "catalogue")
    _run("obligations", "rules")
    _run("demo_data", persons=1500, seed=5, out=tmp_path / "files")
    _run("demo_users")
    _run("demo_campaign", "--files", str(tmp_path / "files"), "--json")
    _run("demo_collection", "--dir", str(tmp_path / "collection"), "--json")
    _run("obligations", "generate", "--campaign", "2027")
    return tmp_path


def test_the_demo_reconciliation_shows_exactly_its_deliberate_differences_and_adds_up(demo_collected: Path) -> None:
    # when the demo's reconciliation runs
    result = json.loads(_run("demo_reconcile", "--json"))

    # then October's treasury statement differs from our records in exactly the three planted ways
    october = Difference.objects.filter(month__month="2026-10")
    assert sorted(october.values_list("kind", flat=True)) == ["amount", "ours_only", "reversal"]
    planted = result["treasury"]["altered"]
    assert {d.kind: d.voucher for d in october} == planted
    tax = Client()
    tax.force_login(User.objects.get(username="tax"))
    page = tax.get("/treasury/2026-10/").content.decode()
    assert all(voucher in page for voucher in planted.values())

    # and the white list holds exactly the payers whose entitlement was withheld, with their causes
    listed = WhitelistEntry.objects.filter(status=EntryStatus.LISTED)
    expected = sum(sum(causes.values()) for causes in result["entitlements"]["whitelist"].values())
    assert listed.count() == expected > 0
    for entry in listed:
        assert not Entitlement.objects.filter(
            id_number=entry.id_number, insurance=entry.insurance, coverage_year=entry.coverage_year
        ).exists()
        paid = Payment.objects.filter(id_number=entry.id_number, insurance=entry.insurance).aggregate(
            own=Sum("amount_fen"), gov=Sum("other_fen")
        )
        assert (paid["own"] or 0) + (paid["gov"] or 0) > 0
    assert "id_mistyped" in set(listed.values_list("cause", flat=True))

    # and finance's figures add up to the roster's and the collection's
    for insurance, checks in result["finance"]["check"].items():
        assert checks["daijiao_owed"] and checks["contributions"] and checks["subsidy_persons"], (insurance, checks)

    # and a second run changes nothing
    again = json.loads(_run("demo_reconcile", "--json"))
    assert Difference.objects.filter(month__month="2026-10").count() == 3
    assert WhitelistEntry.objects.filter(status=EntryStatus.LISTED).count() == expected
    assert again["entitlements"]["whitelist"] == result["entitlements"]["whitelist"]
