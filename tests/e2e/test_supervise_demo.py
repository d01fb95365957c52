"""Issue 7's "done when", on a small synthetic county: the demo's supervision after its collection period.

`make setup` runs `demo-supervise` after `demo-reconcile`: three planted cash frauds (a collector keeping cash,
one over-charging, one card paying for 30 households) that the screening must catch each with the rule meant for
it while the honest villages raise no alarm; complaints whose reporters' identities only the assigned
investigator can read; and the campaign's assessment, printed with every figure traceable to its evidence.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from liangxian.assessment.models import AssessmentRun, Evidence
from liangxian.cash.models import CashReceipt
from liangxian.complaints.demo import FIRST_SUBJECT
from liangxian.complaints.models import Complaint
from liangxian.core.models import AccessLog
from liangxian.org.models import User
from liangxian.screening.models import Hit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FRAUD_RULES = {"keeper": "cash_not_paid_in", "overcharge": "overcharge", "card": "card_many_households"}
REPORTER = "吐尔逊江·买买提"  # the first demo complaint's reporter (liangxian.complaints.demo)


def _run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def demo_supervised(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("LIANGXIAN_SEAL_KEY_FILE", str(tmp_path / "keys" / "seal.key"))
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
    result: dict[str, Any] = json.loads(_run("demo_supervise", "--json"))
    return result


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_demo_supervision_catches_its_frauds_seals_the_reporter_and_prints_a_traceable_assessment(
    demo_supervised: dict[str, Any],
) -> None:
    screening = demo_supervised["screening"]
    # then each planted fraud is caught by the rule meant for it
    planted: set[int] = set()
    for fraud, rule in FRAUD_RULES.items():
        ids = screening[fraud]["hits"]
        assert ids, f"the planted {fraud} was not caught"
        assert set(Hit.objects.filter(pk__in=ids).values_list("rule__code", flat=True)) == {rule}
        planted |= set(ids)
    # and no other village raises an alarm of those rules
    alarms = set(Hit.objects.filter(rule__code__in=FRAUD_RULES.values()).values_list("pk", flat=True))
    assert alarms == planted
    # and the honest collector's village, cash only from the cash list and paid in the same day, raises none at all
    honest = screening["honest"]
    assert honest["village"] and CashReceipt.objects.filter(village_code=honest["village"]).exists()
    assert not Hit.objects.filter(village_code=honest["village"]).exists()
    assert not Hit.objects.filter(collector__username=honest["collector"]).exists()

    # when the assigned investigator opens the first complaint's reporter
    case = Complaint.objects.get(subject=FIRST_SUBJECT)
    investigator = _client("discipline")
    revealed = investigator.post(f"/complaints/{case.pk}/reveal/")
    # then he reads it, and the reading is logged
    assert revealed.status_code == 200
    assert REPORTER in revealed.content.decode()
    readings = AccessLog.objects.filter(user__username="discipline", object_type="complaint.identity")
    assert any(str(case.pk) in log.object_ids for log in readings)
    # and nobody else can: not the clerk who received it (tax), not tax's head who assigned it, not the admin
    for username in ("tax", "tax_leader", "admin"):
        client = _client(username)
        seen = [
            client.get(f"/complaints/{case.pk}/"),
            client.post(f"/complaints/{case.pk}/reveal/", follow=True),
            client.get("/complaints/"),
            client.get("/complaints/export.xlsx"),
            client.get(f"/api/complaints/cases/{case.pk}"),
            client.post(f"/api/complaints/cases/{case.pk}/reveal", content_type="application/json"),
            client.get("/api/complaints/cases"),
        ]
        for response in seen:
            assert REPORTER.encode() not in response.content, (username, response.request["PATH_INFO"])

    # when tax prints the demo campaign's assessment
    run = AssessmentRun.objects.get(campaign__coverage_year=2027)
    tax = _client("tax")
    printed = tax.get("/assessment/2027/report.pdf")
    assert printed.status_code == 200
    assert printed.content.startswith(b"%PDF")
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(printed.content)).pages)
    # then every figure's evidence reference is printed, and each opens the records behind it
    refs = list(Evidence.objects.filter(run=run).values_list("ref", flat=True))
    assert refs
    compact = "".join(text.split())
    missing = [ref for ref in refs if ref not in compact]
    assert not missing, missing[:10]
    for ref in refs[:: max(1, len(refs) // 12)]:
        assert tax.get(f"/assessment/2027/evidence/{ref}/").status_code == 200, ref
