"""The demo's collection period on a small synthetic county, and the township's dashboard showing it (issue 5).

`make setup` runs `demo-collection` after `demo-campaign`: channel files of every channel, real-time
notifications, finance's 代缴 batches, cash in several villages (one collector short one day), refunds and a
few queue items. The township's specialist then reads his township's collection on the dashboard.
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
from django.urls import reverse

from liangxian.cash.models import CashDay
from liangxian.collection.models import Channel, ChannelImport, Payment, PaymentIssue
from liangxian.org.models import User
from liangxian.refunds.models import Refund

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo_campaign(tmp_path: Path) -> Path:
    _run("calendar", "load", "--confirm-through", "2026")
    _run("divisions", "load")
    _run("org", "bootstrap")
    _run("exchange", "catalogue")
    _run("obligations", "rules")
    _run("demo_data", persons=1500, seed=5, out=tmp_path / "files")
    _run("demo_users")
    _run("demo_campaign", "--files", str(tmp_path / "files"), "--json")
    return tmp_path


def test_the_demo_collection_period_fills_the_township_dashboard_and_twice_changes_nothing(
    demo_campaign: Path,
) -> None:
    # when the demo collection period runs
    result = json.loads(_run("demo_collection", "--dir", str(demo_campaign / "collection"), "--json"))

    # then every channel's files were imported, with the notifications, cash, refunds and queue items
    assert result["already"] is False
    imported = set(ChannelImport.objects.filter(status="done").values_list("channel", flat=True))
    assert imported == set(Channel.values)
    assert Payment.objects.filter(source="api", notified_at__isnull=False).count() == result["notified"] > 0
    assert Payment.objects.filter(source="cash").count() == result["cash_paid_in"] == result["cash_receipts"] - 1
    assert CashDay.objects.filter(status="raised").count() == result["cash_days_raised"] == 1
    assert Payment.objects.filter(kind="refund").count() >= 3 and Refund.objects.count() == len(result["refunds"])
    reasons = set(PaymentIssue.objects.filter(status="open").values_list("reason", flat=True))
    assert {"wrong_amount", "unknown_person", "already_paid", "not_in_file"} <= reasons

    # and the township's specialist sees his township's collection, village by village
    township = User.objects.get(username="township")
    assert township.unit is not None
    code = township.unit.division_id
    counted = Payment.objects.filter(entry__township_code=code).aggregate(own=Sum("amount_fen"), gov=Sum("other_fen"))
    client = Client()
    client.force_login(township)
    page = client.get(reverse("collection:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-code="{code}"' in html and 'id="dash-data"' in html
    assert f"¥{counted['own'] // 100}.{counted['own'] % 100:02d}" in html  # the card of the payers' own part
    body = client.get("/api/collection/progress").json()
    assert body["level"] == "township" and body["total"]["own_paid_fen"] == counted["own"]
    assert body["total"]["gov_paid_fen"] == counted["gov"] and body["total"]["cash_fen"] > 0
    assert sum(r["own_paid_fen"] for r in body["rows"]) == counted["own"]

    # when it runs again, nothing changes
    payments = Payment.objects.count()
    again = json.loads(_run("demo_collection", "--dir", str(demo_campaign / "collection"), "--json"))
    assert again["already"] is True and Payment.objects.count() == payments
