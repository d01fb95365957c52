"""The pages, the API and the command share the services: scope, recording, attendance, notices, proofs, logging."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from liangxian.core.models import AccessLog
from liangxian.outreach import services
from liangxian.outreach.models import Activity, Attendance, CountyNotice, PostingProof
from liangxian.registry.tests import factories as f

from .fixtures import JPEG, PNG, outreach_county, upload

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_tax_records_a_training_on_the_page_and_keeps_its_attendance() -> None:
    county = outreach_county()
    tax = client_for(county["tax"])
    form = tax.get("/outreach/activities/new/").content.decode()
    assert 'name="townships"' in form and "努尔艾力" in form

    response = tax.post(
        "/outreach/activities/new/",
        {
            "kind": "training",
            "held_on": "2026-09-03",
            "title": "征缴业务培训",
            "townships": [f.TOWN_A],
            "joint": ["653123-social"],
            "invited": [county["specialist_a"].pk, county["collector_a1"].pk],
            "present": [county["specialist_a"].pk],
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/outreach/activities/{activity.pk}/"
    page = tax.get(f"/outreach/activities/{activity.pk}/").content.decode()
    assert "征缴业务培训" in page and 'class="present-count">1<' in page

    tax.post(
        f"/outreach/activities/{activity.pk}/attendance/",
        {"invited": [county["specialist_a"].pk, county["collector_a1"].pk], "present": [county["collector_a1"].pk]},
    )
    assert dict(Attendance.objects.values_list("user__username", "present")) == {"spec_a": False, "coll_a1": True}
    # the medical insurance bureau sees it but does not keep its attendance
    medical = client_for(county["medical"])
    medical.post(f"/outreach/activities/{activity.pk}/attendance/", {"present": [county["specialist_a"].pk]})
    assert Attendance.objects.get(user=county["specialist_a"]).present is False
    # township B sees no activity of township A; township A does
    assert "征缴业务培训" not in client_for(county["specialist_b"]).get("/outreach/?year=2026").content.decode()
    assert "征缴业务培训" in client_for(county["specialist_a"]).get("/outreach/?year=2026").content.decode()
    assert client_for(county["specialist_b"]).get(f"/outreach/activities/{activity.pk}/").status_code == 404


def test_a_bad_record_shows_the_reason_and_records_nothing() -> None:
    county = outreach_county()
    response = client_for(county["tax"]).post(
        "/outreach/activities/new/", {"kind": "inspection", "held_on": "2026-09-03", "title": "检查"}, follow=True
    )
    assert Activity.objects.count() == 0
    with translation.override("zh-hans"):
        reason = gettext("Name the townships or villages the inspection covered.")
    assert reason in response.content.decode()
    assert client_for(county["collector_a1"]).get("/outreach/activities/new/").status_code == 404


def test_an_attachment_is_kept_only_when_it_is_a_pdf_or_image() -> None:
    county = outreach_county()
    a = services.activity_record(by=county["tax"], kind="training", held_on=dt.date(2026, 9, 3), title="培训")
    tax = client_for(county["tax"])
    tax.post(f"/outreach/activities/{a.pk}/attach/", {"file": upload(b"MZ\x90\x00", "sheet.pdf")})
    assert a.attachments.count() == 0
    tax.post(f"/outreach/activities/{a.pk}/attach/", {"file": upload(b"%PDF-1.7 sheet", "签到表.pdf")})
    kept = a.attachments.get()
    assert kept.filename == "签到表.pdf"
    assert streamed(tax.get(f"/outreach/attachments/{kept.pk}/")) == b"%PDF-1.7 sheet"


def test_the_shortfall_page_and_api_and_command_agree(tmp_path: Path) -> None:
    county = outreach_county()
    services.activity_record(
        by=county["tax"], kind="inspection", held_on=dt.date(2026, 9, 3), title="检查", township_codes=[f.TOWN_A]
    )
    page = client_for(county["tax"]).get("/outreach/shortfall/?year=2026").content.decode()
    assert f'data-kind="inspection" data-code="{f.TOWN_A}" data-missing="1"' in page
    assert 'data-username="coll_a1"' in page
    assert client_for(county["specialist_a"]).get("/outreach/shortfall/").status_code == 404

    api = client_for(county["tax"]).get("/api/outreach/shortfall?year=2026").json()
    rows = {(r["kind"], r["code"]): r["missing"] for r in api["rows"]}
    assert rows[("inspection", f.TOWN_A)] == 1 and rows[("inspection", f.TOWN_B)] == 2
    assert client_for(county["specialist_a"]).get("/api/outreach/shortfall?year=2026").status_code == 403
    assert client_for(county["tax"]).get("/api/outreach/shortfall?year=abc").status_code in (400, 422)

    out = tmp_path / "s.json"
    call_command("outreach", "shortfall", "--year", "2026", "--json", stdout=out.open("w"))
    data = orjson.loads(out.read_bytes())
    assert {(r["kind"], r["code"]) for r in data["rows"]} == {k for k, v in rows.items() if v}


def test_the_api_records_an_activity_keeps_attendance_and_refuses_garbage() -> None:
    county = outreach_county()
    tax = client_for(county["tax"])
    created = tax.post(
        "/api/outreach/activities",
        {
            "kind": "publicity",
            "held_on": "2026-09-10",
            "title": "广播宣传",
            "channel": "broadcast",
            "township_codes": [f.TOWN_A, f.TOWN_B],
            "participant_ids": [county["specialist_a"].pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["areas"] == [f.TOWN_A, f.TOWN_B] and body["invited"] == 1 and body["present"] == 0

    marked = tax.post(
        f"/api/outreach/activities/{body['id']}/attendance",
        {"present_ids": [county["specialist_a"].pk]},
        content_type="application/json",
    )
    assert marked.status_code == 200 and marked.json()["present"] == 1
    assert [a["title"] for a in tax.get("/api/outreach/activities?year=2026").json()] == ["广播宣传"]

    assert tax.get("/api/outreach/activities/99999999999999999999").status_code == 404
    assert tax.get("/api/outreach/activities/١٢").status_code == 404
    bad = tax.post(
        "/api/outreach/activities",
        {"kind": "training", "held_on": "2026-09-10", "title": "x", "participant_ids": [2**70]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_participant"
    forbidden = client_for(county["collector_a1"]).post(
        "/api/outreach/activities",
        {"kind": "training", "held_on": "2026-09-10", "title": "x"},
        content_type="application/json",
    )
    assert forbidden.status_code == 403


def test_tax_drafts_publishes_and_prints_the_county_notice_others_see_it_once_published() -> None:
    county = outreach_county()
    tax = client_for(county["tax"])
    town = client_for(county["specialist_a"])
    assert town.get("/outreach/notices/county/?year=2027").status_code == 404

    tax.post(
        "/outreach/notices/county/",
        {"year": "2027", "complaint_phone": "12366", "channels": ["wechat", "hall"], "note": "按时缴费"},
    )
    notice = CountyNotice.objects.get()
    assert notice.channels == ["wechat", "hall"] and notice.status == "draft"
    assert town.get("/api/outreach/notices/county?year=2027").status_code == 404
    page = tax.get("/outreach/notices/county/?year=2027").content.decode()
    assert "12366" in page and 'dir="rtl"' in page and "publish-button" in page

    tax.post("/outreach/notices/county/", {"year": "2027", "action": "publish"})
    assert CountyNotice.objects.get().status == "published"
    assert town.get("/outreach/notices/county/?year=2027").status_code == 200
    assert town.get("/api/outreach/notices/county?year=2027").json()["complaint_phone"] == "12366"
    pdf = town.get("/outreach/notices/county.pdf?year=2027&lang=ug")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert town.get("/outreach/notices/county.pdf?year=2027&lang=xx").status_code == 404
    assert town.get("/api/outreach/notices/county.pdf?year=2027&lang=xx").status_code in (400, 422)
    again = tax.post("/api/outreach/notices/county/publish?year=2027")
    assert again.status_code == 409


def test_the_village_list_is_masked_scoped_and_every_view_and_print_is_logged() -> None:
    county = outreach_county()
    zhang = county["people"]["zhang"]
    head = client_for(county["head_a1"])

    page = head.get(f"/outreach/notices/villages/{f.VILLAGE_A1}/?year=2027").content.decode()
    assert "张*丰" in page and zhang.id_number not in page and "张三丰" not in page
    assert head.get(f"/outreach/notices/villages/{f.VILLAGE_A2}/?year=2027").status_code == 404
    assert client_for(county["medical"]).get(f"/outreach/notices/villages/{f.VILLAGE_A1}/").status_code == 404
    pdf = head.get(f"/outreach/notices/villages/{f.VILLAGE_A1}.pdf?year=2027&lang=zh")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    api = client_for(county["specialist_a"]).get(f"/api/outreach/notices/villages/{f.VILLAGE_A1}?year=2027").json()
    assert api["count"] == 2 and api["rows"][0]["name"] == "张*丰"
    assert api["rows"][0]["id_number"].count("*") == 8
    assert client_for(county["specialist_b"]).get(f"/api/outreach/notices/villages/{f.VILLAGE_A1}").status_code == 404
    api_pdf = client_for(county["tax"]).get(f"/api/outreach/notices/villages/{f.VILLAGE_A1}/pdf?lang=ug")
    assert api_pdf.status_code == 200 and api_pdf["Content-Type"] == "application/pdf"

    logs = AccessLog.objects.filter(object_type="outreach.paid_list")
    assert sorted(logs.values_list("action", "channel")) == [
        ("export", "api"),
        ("export", "web"),
        ("view", "api"),
        ("view", "web"),
    ]
    assert all(str(zhang.pk) in log.object_ids for log in logs)


def test_the_village_head_uploads_the_posting_proof_and_tax_sees_it_posted() -> None:
    county = outreach_county()
    head = client_for(county["head_a1"])
    response = head.post(
        f"/outreach/notices/villages/{f.VILLAGE_A1}/proofs/",
        {"year": "2027", "photo": upload(b"GIF89a....", "p.jpg"), "posted_on": "2026-10-20"},
        follow=True,
    )
    assert PostingProof.objects.count() == 0 and response.status_code == 200
    head.post(
        f"/outreach/notices/villages/{f.VILLAGE_A1}/proofs/",
        {"year": "2027", "photo": upload(JPEG, "公示.jpg"), "posted_on": "2026-10-20", "place": "村委会"},
    )
    proof = PostingProof.objects.get()
    assert proof.posted_on == dt.date(2026, 10, 20) and proof.uploaded_by == county["head_a1"]

    tax = client_for(county["tax"])
    overview = tax.get("/outreach/notices/?year=2027").content.decode()
    assert f'data-code="{f.VILLAGE_A1}" data-posted="1"' in overview
    assert f'data-code="{f.VILLAGE_A2}" data-posted="0"' in overview
    assert streamed(tax.get(f"/outreach/proofs/{proof.pk}/")) == JPEG
    assert client_for(county["specialist_b"]).get(f"/outreach/proofs/{proof.pk}/").status_code == 404

    # the API: the collector sends a PNG; a stranger is refused
    collector = client_for(county["collector_a1"])
    sent = collector.post(
        f"/api/outreach/notices/villages/{f.VILLAGE_A1}/proofs", {"photo": upload(PNG, "b.png"), "year": "2027"}
    )
    assert sent.status_code == 201 and sent.json()["content_type"] == "image/png"
    refused = client_for(county["collector_b1"]).post(
        f"/api/outreach/notices/villages/{f.VILLAGE_A1}/proofs", {"photo": upload(PNG + b"x", "b.png")}
    )
    assert refused.status_code == 404
    listed = {v["code"]: v["proofs"] for v in tax.get("/api/outreach/notices?year=2027").json()}
    assert listed == {f.VILLAGE_A1: 2, f.VILLAGE_A2: 0, f.VILLAGE_B1: 0}


def test_the_command_prints_a_village_list_and_records_an_activity(tmp_path: Path) -> None:
    county = outreach_county()
    out = tmp_path / "list.pdf"
    call_command("outreach", "notice", "--village", f.VILLAGE_A1, "--lang", "ug", "--out", str(out), "--as", "tax")
    assert out.read_bytes().startswith(b"%PDF-")
    assert AccessLog.objects.filter(object_type="outreach.paid_list", channel="cli", action="export").count() == 1
    with pytest.raises(CommandError):
        call_command("outreach", "notice", "--village", f.VILLAGE_A2, "--out", str(out), "--as", "head_a1")
    with pytest.raises(CommandError, match="not_found"):
        call_command("outreach", "notice", "--county", "--out", str(out))

    call_command(
        "outreach",
        "record",
        "--as",
        "discipline",
        "--kind",
        "inspection",
        "--date",
        "2026-10-02",
        "--title",
        "专项检查",
        "--township",
        f.TOWN_B,
        "--present",
        "spec_b",
        "--absent",
        "coll_b1",
    )
    a = Activity.objects.get()
    assert a.organiser == county["discipline"].unit and a.attendance.filter(present=True).count() == 1
    with pytest.raises(CommandError, match="forbidden"):
        call_command(
            "outreach", "record", "--as", "coll_a1", "--kind", "training", "--date", "2026-10-02", "--title", "x"
        )


def test_the_drill_page_shows_the_exercises_only_on_the_practice_site(settings: Any) -> None:
    county = outreach_county()
    tax = client_for(county["tax"])
    settings.LIANGXIAN_PRACTICE_SITE = False
    live = tax.get("/outreach/drill/").content.decode()
    assert 'class="not-practice"' in live and 'class="exercises"' not in live

    settings.LIANGXIAN_PRACTICE_SITE = True
    practice = tax.get("/outreach/drill/").content.decode()
    assert practice.count("<li>") >= 6 and 'class="exercises"' in practice and "practice-banner" in practice
    drill = services.activity_record(by=county["tax"], kind="drill", held_on=dt.date(2026, 9, 3), title="演练")
    training = services.activity_record(by=county["tax"], kind="training", held_on=dt.date(2026, 9, 3), title="培训")
    assert drill.practice_site is True and training.practice_site is False
