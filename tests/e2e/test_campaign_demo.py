"""The demo's setup carries a small synthetic county from its lists to the due-lists (issue 4, end to end).

`make setup` runs the same commands in the same order: rules, county, logins, campaign (which submits the
departments' files, builds the roster, sends it to tax, lets tax check it and pushes the due-lists).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.obligations.models import Obligation
from liangxian.org.models import User
from liangxian.roster.models import DueListPush, RosterBuild, RosterEntry, RosterTransmission, TransmissionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo_county(tmp_path: Path) -> Path:
    _run("calendar", "load", "--confirm-through", "2026")
    _run("divisions", "load")
    _run("org", "bootstrap")
    _run("exchange", "catalogue")
    _run("obligations", "rules")
    _run("demo_data", persons=1500, seed=5, out=tmp_path)
    _run("demo_users")
    return tmp_path


def test_the_demo_campaign_runs_from_the_lists_to_the_due_lists_and_twice_changes_nothing(demo_county: Path) -> None:
    # given the demo county with its logins; when the demo campaign is set up
    first = json.loads(_run("demo_campaign", "--files", str(demo_county), "--json"))

    # then the campaign's roster is built from the lists in force and both parts are sent and checked
    campaign = Campaign.objects.get(coverage_year=2027)
    assert first["roster"]["built"] is True
    assert RosterBuild.objects.filter(campaign=campaign, status="done").count() == 1
    for insurance in (InsuranceType.MEDICAL, InsuranceType.PENSION):
        assert RosterEntry.objects.filter(campaign=campaign, insurance=insurance, must_pay=True).exists()
        sent = RosterTransmission.objects.get(campaign=campaign, insurance=insurance)
        assert sent.status == TransmissionStatus.RECEIVED
    # persons on a 代缴 list have the government pay part of their contribution
    assert RosterEntry.objects.filter(campaign=campaign, gov_fen__gt=0).exclude(daijiao_category="").exists()
    # every township got its due-list and tax's obligation to push it is met
    assert DueListPush.objects.filter(campaign=campaign).count() == first["roster"]["due_lists_pushed"] > 0
    pushed = Obligation.objects.get(rule_id="duelist.push", campaign=campaign)
    assert pushed.fulfilled_at is not None
    sent_medical = Obligation.objects.get(rule_id="roster.to_tax", campaign=campaign, unit__department="medical")
    assert sent_medical.fulfilled_at is not None

    # when it runs again, nothing new is built, sent or pushed
    second = json.loads(_run("demo_campaign", "--files", str(demo_county), "--json"))
    assert second["roster"] == {
        "built": False,
        "build": first["roster"]["build"],
        "sent": [],
        "abnormal_items": {},
        "due_lists_pushed": 0,
    }
    assert RosterBuild.objects.filter(campaign=campaign).count() == 1

    # and the township's specialist reads his own due-list
    client = Client()
    client.force_login(User.objects.get(username="township"))
    page = client.get(reverse("roster:duelist"))
    assert page.status_code == 200
    assert "应缴费人员台账" in page.content.decode()
