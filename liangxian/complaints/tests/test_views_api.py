"""The pages, the API and the commands: no one but the assigned investigator ever sees the reporter's identity."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from liangxian.complaints import services
from liangxian.complaints.models import Complaint, ComplaintStatus, Inquiry
from liangxian.core.models import AccessLog

from .fixtures import IDENTITY, captcha, people, received

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shows_identity(body: bytes) -> bool:
    text = body.decode("utf-8", errors="replace")
    if body[:2] == b"PK":  # an xlsx: look inside its parts
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            text = "".join(z.read(n).decode("utf-8", errors="replace") for n in z.namelist())
    return any(v in text for v in IDENTITY.values())


def every_door(client: Client, pk: int) -> list[Any]:
    """Every page, export and API answer that could carry the identity."""
    return [
        client.get("/complaints/"),
        client.get(f"/complaints/{pk}/"),
        client.get("/complaints/export.xlsx"),
        client.post(f"/complaints/{pk}/reveal/"),
        client.get("/api/complaints/cases"),
        client.get(f"/api/complaints/cases/{pk}"),
        client.post(f"/api/complaints/cases/{pk}/reveal"),
        client.get("/admin/"),
        client.get("/admin/complaints/sealedidentity/"),
        client.get("/admin/complaints/complaint/"),
    ]


@pytest.mark.parametrize("who", ["clerk", "tax_other", "discipline_other", "tax_leader", "township", "admin"])
def test_no_page_api_or_export_shows_the_identity_to_anyone_else(who: str) -> None:
    p = people()
    intake = received(p)
    for response in every_door(client_for(p[who]), intake.complaint.pk):
        assert response.status_code < 500
        assert not shows_identity(response.content), response.request["PATH_INFO"]
    assert not AccessLog.objects.filter(object_type="complaint.identity", action="view").exists()
    assert AccessLog.objects.filter(object_type="complaint.identity", action="denied", user_id=p[who].pk).count() == 2


def test_the_assigned_investigator_reveals_on_the_page_and_in_the_api_and_both_are_logged() -> None:
    p = people()
    intake = received(p)
    client = client_for(p["investigator"])
    pk = intake.complaint.pk
    case_page = client.get(f"/complaints/{pk}/").content.decode()
    assert "reveal-button" in case_page and not shows_identity(case_page.encode())
    assert client.get(f"/complaints/{pk}/reveal/").status_code == 405  # a reveal is an explicit POST

    page = client.post(f"/complaints/{pk}/reveal/")
    assert page.status_code == 200 and IDENTITY["name"] in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    api = client.post(f"/api/complaints/cases/{pk}/reveal")
    assert api.status_code == 200 and api.json()["id_number"] == IDENTITY["id_number"]

    logs = AccessLog.objects.filter(object_type="complaint.identity", action="view", user_id=p["investigator"].pk)
    assert sorted(logs.values_list("channel", flat=True)) == ["api", "web"]
    # the case list and detail still never carry it
    assert not shows_identity(client.get("/api/complaints/cases").content)


def test_the_clerk_records_a_complaint_on_the_page_and_gets_the_code_once() -> None:
    p = people()
    client = client_for(p["clerk"])
    response = client.post(
        "/complaints/new/",
        {"via": "visit", "subject": "多收费", "text": "协征员多收50元", "village_code": "653123100001", **IDENTITY},
    )
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    page = response.content.decode()
    assert complaint.number in page and "follow-code" in page and not shows_identity(response.content)
    assert complaint.township_code == "653123100" and complaint.received_by == p["clerk"]
    assert client_for(p["township"]).get("/complaints/new/").status_code == 404


def test_the_heads_assign_on_the_page_and_the_investigator_concludes_through_the_api() -> None:
    p = people()
    intake = received(p, assign=False)
    pk = intake.complaint.pk
    head = client_for(p["discipline_leader"])
    assert 'name="investigator"' in head.get(f"/complaints/{pk}/").content.decode()
    head.post(f"/complaints/{pk}/assign/", {"investigator": p["investigator"].pk})
    assert services.is_assigned(p["investigator"], intake.complaint)

    api = client_for(p["investigator"])
    step = api.post(f"/api/complaints/cases/{pk}/steps", {"note": "约谈协征员"}, content_type="application/json")
    assert step.status_code == 201 and step.json()["unit"] == "dept-discipline"
    done = api.post(
        f"/api/complaints/cases/{pk}/conclude",
        {"outcome": "属实", "public_outcome": "已处理"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "concluded"
    again = api.post(
        f"/api/complaints/cases/{pk}/conclude", {"outcome": "x", "public_outcome": "y"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "concluded"


def test_the_api_answers_bad_input_with_4xx() -> None:
    p = people()
    client = client_for(p["clerk"])
    assert client.get("/api/complaints/cases/%C2%B2").status_code == 404
    assert client.get("/api/complaints/cases/99999999999999999999999").status_code == 404
    assert client.post("/api/complaints/cases/abc/reveal").status_code == 404
    bad = client.post(
        "/api/complaints/intake", {"via": "fax", "subject": "s", "text": "t"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_channel"
    assert client.get("/api/complaints/inquiries?view=x").status_code == 400
    assert client.get("/complaints/abc/").status_code == 404
    assert Client().get("/api/complaints/cases").status_code == 401


def test_a_reporter_files_on_the_public_form_and_follows_without_an_account() -> None:
    people()
    anyone = Client()
    assert anyone.get("/complaints/report/").status_code == 200
    wrong = anyone.post("/complaints/report/", {"subject": "s", "text": "t", "captcha_0": "x", "captcha_1": "y"})
    assert wrong.status_code == 200 and not Complaint.objects.exists()
    done = anyone.post("/complaints/report/", {"subject": "协征员索要好处费", "text": "详情", **IDENTITY, **captcha()})
    complaint = Complaint.objects.get()
    code = done.context["code"]
    assert complaint.received_via == "web" and complaint.number in done.content.decode()

    page = anyone.post("/complaints/follow/", {"number": complaint.number, "code": code}).content.decode()
    assert "status-received" in page and not shows_identity(page.encode())
    assert (
        "status-received"
        not in anyone.post("/complaints/follow/", {"number": complaint.number, "code": "X"}).content.decode()
    )

    Complaint.objects.filter(pk=complaint.pk).update(
        status=ComplaintStatus.CONCLUDED, public_outcome="已查实处理", outcome="内部"
    )
    api = anyone.post(
        "/api/complaints/follow", {"number": complaint.number, "code": code}, content_type="application/json"
    )
    assert (
        api.status_code == 200 and api.json()["public_outcome"] == "已查实处理" and "内部" not in api.content.decode()
    )


def test_the_public_contact_page_lists_the_channels_in_uyghur_too() -> None:
    p = people()
    services.channel_update(
        by=p["investigator"],
        department="discipline",
        mailbox="县纪委信箱",
        email="jw@x.cn",
        phone="0998-3600000",
        mailbox_ug="ناھىيەلىك ئىنتىزام تەكشۈرۈش كومىتېتى ساندۇقى",
    )
    anyone = Client()
    chinese = anyone.get("/complaints/contact/").content.decode()
    assert "0998-3600000" in chinese and "县纪委信箱" in chinese
    anyone.cookies["django_language"] = "ug"
    ug = anyone.get("/complaints/contact/")
    page = ug.content.decode()
    assert ug.status_code == 200 and 'lang="ug"' in page
    assert "ناھىيەلىك ئىنتىزام" in page and "县纪委信箱" not in page
    assert client_for(p["clerk"]).get("/api/complaints/channels").json()[0]["department"] == "discipline"


def test_inquiry_pages_record_hand_over_and_answer() -> None:
    p = people()
    township = client_for(p["township"])
    township.post("/complaints/inquiries/", {"asker": "阿依古丽 139", "question": "补缴怎么办？", "channel": "phone"})
    q = Inquiry.objects.get()
    township.post(f"/complaints/inquiries/{q.pk}/", {"action": "hand_over", "to": p["clerk"].pk, "reason": "税务答复"})
    passed = township.get("/complaints/inquiries/?view=passed").content.decode()
    assert f'data-id="{q.pk}"' in passed
    clerk = client_for(p["clerk"])
    clerk.post(f"/complaints/inquiries/{q.pk}/", {"action": "answer", "answer": "请到乡镇补缴"})
    q.refresh_from_db()
    assert q.answered_by == p["clerk"] and q.received_by == p["township"]
    assert client_for(p["investigator"]).get(f"/complaints/inquiries/{q.pk}/").status_code == 404
    api = clerk.get("/api/complaints/inquiries?view=passed").json()
    assert api[0]["handovers"][0]["to_user"] == "clerk"


def test_the_commands_list_reveal_for_the_assigned_only_and_rotate(capsys: Any) -> None:
    p = people()
    intake = received(p)
    call_command("complaints", "list", "--json")
    listed = orjson.loads(capsys.readouterr().out)
    assert listed[0]["number"] == intake.complaint.number and not shows_identity(orjson.dumps(listed))
    with pytest.raises(CommandError):
        call_command("complaints", "reveal", intake.complaint.number, "--as", "clerk")
    call_command("complaints", "reveal", intake.complaint.number, "--as", "investigator", "--json")
    assert orjson.loads(capsys.readouterr().out)["name"] == IDENTITY["name"]
    assert AccessLog.objects.filter(object_type="complaint.identity", action="view", channel="cli").count() == 1
    call_command("complaints", "rotate-key", "--json")
    assert orjson.loads(capsys.readouterr().out)["resealed"] == 1
    call_command("inquiries", "overdue", "--json")
    assert orjson.loads(capsys.readouterr().out) == {"overdue": [], "pending_calendar": 0}


@pytest.mark.urls("liangxian.complaints.tests.urls_public")
def test_the_public_site_serves_the_report_form_and_follow_up_and_nothing_of_the_intranet() -> None:
    people()
    anyone = Client()
    for path in ("/complaints/contact/", "/complaints/report/", "/complaints/follow/"):
        assert anyone.get(path).status_code == 200
    done = anyone.post("/complaints/report/", {"subject": "s", "text": "t", **captcha()})
    assert done.status_code == 200 and Complaint.objects.count() == 1
    assert anyone.get("/complaints/").status_code == 404
    assert anyone.get(f"/complaints/{Complaint.objects.get().pk}/").status_code == 404
