"""`liangxian campaign create|show|list` and `liangxian demo-campaign`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from liangxian.campaigns.models import Campaign, CampaignRevision, ExpansionTarget
from liangxian.core.idnumbers import check_digit
from liangxian.core.models import AuditEvent
from liangxian.demo.campaign import demo_campaign_run, scan_pdf
from liangxian.exchange.models import Approval, Submission, SubmissionStatus
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_show_and_list_as_json(county: dict[str, Any]) -> None:
    created = json.loads(
        run(
            "campaign",
            "create",
            "--coverage-year",
            "2027",
            "--collection-year",
            "2026",
            "--start",
            "2026-10-08",
            "--end",
            "2026-12-31",
            "--json",
        )
    )
    assert created["coverage_year"] == 2027 and created["revision"] == 1
    assert created["tiers"]["medical"][0]["amount"] == "400.00"
    shown = json.loads(run("campaign", "show", "--year", "2027", "--json"))
    assert shown["period_start"] == "2026-10-08" and len(shown["tiers"]["pension"]) == 12
    assert "100.00(+30.00)*" in run("campaign", "show", "--year", "2027")
    listing = json.loads(run("campaign", "list", "--json"))
    assert [c["coverage_year"] for c in listing] == [2027]


def test_create_refuses_a_reversed_period(county: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="period_order"):
        run(
            "campaign",
            "create",
            "--coverage-year",
            "2027",
            "--collection-year",
            "2026",
            "--start",
            "2026-12-31",
            "--end",
            "2026-10-08",
        )
    with pytest.raises(CommandError, match="no campaign"):
        run("campaign", "show", "--year", "2027")


def test_scan_pdf_is_a_pdf() -> None:
    data = scan_pdf("civil_affairs.orphans")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF") and b"startxref" in data


HEADER = ["序号", "乡镇", "村（社区）", "姓名", "身份证号码", "性别", "年龄", "供养方式", "备注"]


def _ident(n: int) -> str:
    body = f"65312319500101{n:03d}"
    return body + check_digit(body)


@pytest.fixture
def demo_files(tmp_path: Path, county: dict[str, Any], settings: Any) -> Path:
    from liangxian.exchange.catalogue import catalogue_load

    settings.MEDIA_ROOT = tmp_path / "media"
    catalogue_load()
    civil = county["civil"].unit
    f.user(civil, Role.LEADER, username="civil_leader")
    for n in range(1, 4):
        f.person(f.VILLAGE_A1, id_number=_ident(n), birth_date=dt.date(1950, 1, 1))
    f.person(f.VILLAGE_B1, birth_date=dt.date(2015, 1, 1))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(1, 4):
        writer.writerow([n, "英吉沙镇", "一村", f"王{n}", _ident(n), "男", "76", "分散供养", ""])
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "特困.csv").write_text(out.getvalue(), encoding="utf-8")
    manifest = {"files": [{"file": "特困.csv", "kind": "civil_affairs.special_hardship", "department": "民政局"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert county["civil"].unit.kind == UnitKind.DEPARTMENT
    return folder


def test_demo_campaign_creates_targets_submits_approves_and_is_idempotent(demo_files: Path) -> None:
    # when the demo set-up runs
    first = demo_campaign_run(files_dir=demo_files)
    # then the coverage-2027 campaign exists with its period, targets from the register and the list in force
    campaign = Campaign.objects.get(coverage_year=2027)
    assert (campaign.collection_year, str(campaign.period_start), str(campaign.period_end)) == (
        2026,
        "2026-10-08",
        "2026-12-31",
    )
    assert first.created and first.targets_set and first.submitted == ["特困.csv"] and first.approved == ["特困.csv"]
    targets = {(t.division_id, t.insurance): t.target for t in ExpansionTarget.objects.filter(campaign=campaign)}
    assert targets[(f.VILLAGE_A1, "medical")] == 3 and targets[(f.VILLAGE_A1, "pension")] == 0  # all over 60
    assert targets[(f.VILLAGE_B1, "medical")] == 1 and targets[(f.TOWN_A, "medical")] == 3
    submission = Submission.objects.get()
    assert submission.status == SubmissionStatus.IN_FORCE
    signed = Approval.objects.get(submission=submission, stage="leader_sign")
    assert signed.approved_by.username == "civil_leader"
    # and running it again changes nothing
    events = AuditEvent.objects.count()
    revisions = CampaignRevision.objects.count()
    second = demo_campaign_run(files_dir=demo_files)
    assert not second.created and not second.targets_set and second.submitted == [] and second.already == ["特困.csv"]
    assert AuditEvent.objects.count() == events and CampaignRevision.objects.count() == revisions
    assert Submission.objects.count() == 1


def test_demo_campaign_command_json(demo_files: Path) -> None:
    out = json.loads(run("demo_campaign", "--files", str(demo_files), "--json", "--no-roster"))
    assert out["coverage_year"] == 2027 and out["approved"] == ["特困.csv"]
    with pytest.raises(CommandError, match=r"manifest\.json"):
        run("demo_campaign", "--files", str(demo_files / "missing"))
