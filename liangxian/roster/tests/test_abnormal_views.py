"""The pages, API and command of the roster's passage to tax and the abnormal-data loop: queues, scope, masking,
the access log."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessLog
from liangxian.org.models import Role
from liangxian.registry.tests import factories as f
from liangxian.roster import abnormal as loop
from liangxian.roster.models import AbnormalItem, RosterTransmission, TransmissionStatus
from liangxian.roster.tests.test_transmission import county, send_and_receive, small_roster
from liangxian.web.api_auth import api_token_issue

__all__ = ["county"]
pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token(user: Any) -> dict[str, Any]:
    admin = f.user(None, Role.SYSADMIN, is_superuser=True)
    _, secret = api_token_issue(actor=admin, unit=user.unit, user=user, name="system")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_medical_approves_and_sends_on_the_page_and_tax_receives(county: dict) -> None:
    small_roster(county)
    medical = client_for(county["medical"])
    page = medical.get(reverse("roster:transmissions"))
    assert page.status_code == 200
    assert "审核最新生成的清册" in page.content.decode()
    medical.post(reverse("roster:transmission_approve"), {"campaign": "2027", "insurance": "medical"})
    sent = RosterTransmission.objects.get()
    assert sent.status == TransmissionStatus.APPROVED
    medical.post(reverse("roster:transmission_send", args=[sent.pk]))
    sent.refresh_from_db()
    assert sent.status == TransmissionStatus.SENT
    # social security neither sees nor sends medical's roster
    social = client_for(county["social"])
    assert social.post(reverse("roster:transmission_receive", args=[sent.pk])).status_code == 404
    tax = client_for(county["tax"])
    response = tax.post(reverse("roster:transmission_receive", args=[sent.pk]))
    assert response.status_code == 302 and f"transmission={sent.pk}" in response["Location"]
    sent.refresh_from_db()
    assert sent.status == TransmissionStatus.RECEIVED
    assert AbnormalItem.objects.filter(transmission=sent).count() == 12


def test_tax_feeds_back_many_items_from_its_queue_and_medical_sees_them(county: dict) -> None:
    small_roster(county)
    sent = send_and_receive(county)
    tax = client_for(county["tax"])
    queue = tax.get(reverse("roster:abnormal_queue"))
    body = queue.content.decode()
    assert queue.status_code == 200 and body.count('name="item"') == 12
    dead = AbnormalItem.objects.get(kind="deceased")
    assert dead.id_number in body  # tax's duty needs the whole number
    picked = list(AbnormalItem.objects.filter(transmission=sent).values_list("pk", flat=True)[:5])
    tax.post(reverse("roster:abnormal_act"), {"action": "feed_back", "item": picked, "note": "请核实"})
    assert AbnormalItem.objects.filter(status="fed_back").count() == 5
    medical_page = client_for(county["medical"]).get(reverse("roster:abnormal_queue")).content.decode()
    assert medical_page.count('name="item"') == 5
    log = AccessLog.objects.filter(object_type=loop.ITEMS_OBJECT, unit_code="653123-medical").latest("at")
    assert log.duty == "enrolment" and log.count == 5


def test_the_item_page_shows_steps_with_who_and_when_and_the_deadline(county: dict) -> None:
    small_roster(county)
    send_and_receive(county, today=date(2026, 9, 25))
    item = AbnormalItem.objects.get(kind="deceased")
    loop.abnormal_feed_back(actor=county["tax"], items=[item.pk])
    page = client_for(county["medical"]).get(reverse("roster:abnormal_detail", args=[item.pk])).content.decode()
    assert "税务员" in page  # who raised and fed back
    assert 'data-action="raised"' in page and 'data-action="fed_back"' in page
    assert 'data-rule="abnormal.feedback"' in page and 'data-rule="abnormal.verify"' in page
    assert "2026-09-29" in page  # feedback due two working days after Friday 25 September
    assert 'value="verify"' in page and 'value="forward"' in page
    assert AccessLog.objects.filter(object_type=loop.ITEMS_OBJECT, action="view", object_ids=[str(item.pk)]).exists()


def test_a_department_asked_to_confirm_sees_only_its_item_masked_in_the_list(county: dict) -> None:
    small_roster(county)
    sent = send_and_receive(county)
    loop.abnormal_feed_back(actor=county["tax"], transmission=sent)
    dead = AbnormalItem.objects.get(kind="deceased")
    loop.abnormal_forward(actor=county["medical"], items=[dead.pk], to=county["units"]["civil"])
    civil = client_for(county["civil"])
    body = civil.get(reverse("roster:abnormal_queue")).content.decode()
    assert body.count('name="item"') == 1
    assert mask(dead.id_number) in body and dead.id_number not in body
    detail = civil.get(reverse("roster:abnormal_detail", args=[dead.pk])).content.decode()
    assert dead.id_number in detail and 'value="confirm"' in detail
    other = AbnormalItem.objects.exclude(pk=dead.pk).first()
    assert other is not None
    assert civil.get(reverse("roster:abnormal_detail", args=[other.pk])).status_code == 404
    log = AccessLog.objects.filter(unit_code="653123-civil", object_type=loop.ITEMS_OBJECT).latest("at")
    assert log.duty == loop.CONFIRM_DUTY


def test_a_township_cannot_see_the_queue_the_rosters_or_an_item(county: dict) -> None:
    small_roster(county)
    send_and_receive(county)
    item = AbnormalItem.objects.first()
    assert item is not None
    township = client_for(county["township"])
    assert township.get(reverse("roster:abnormal_queue")).status_code == 403
    assert township.get(reverse("roster:transmissions")).status_code == 403
    assert township.get(reverse("roster:abnormal_detail", args=[item.pk])).status_code == 403
    assert township.post(reverse("roster:abnormal_act"), {"action": "feed_back", "item": [item.pk]}).status_code == 403
    assert Client().get(reverse("roster:abnormal_queue")).status_code == 302  # sign in first


def test_a_refused_step_on_the_page_says_why_and_changes_nothing(county: dict) -> None:
    small_roster(county)
    sent = send_and_receive(county)
    first = AbnormalItem.objects.filter(transmission=sent).first()
    assert first is not None
    response = client_for(county["medical"]).post(
        reverse("roster:abnormal_act"), {"action": "verify", "item": [first.pk], "note": "x"}, follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    first.refresh_from_db()
    assert first.status == "raised"


def test_api_approve_send_receive_list_act_and_read_one(county: dict) -> None:
    small_roster(county)
    client = Client()
    medical, tax = token(county["medical"]), token(county["tax"])
    created = client.post(
        "/api/roster/abnormal/transmissions",
        {"campaign": 2027, "insurance": "medical"},
        content_type="application/json",
        **medical,
    )
    assert created.status_code == 201, created.content
    tid = created.json()["id"]
    assert client.post(f"/api/roster/abnormal/transmissions/{tid}/send", **medical).json()["status"] == "sent"
    wrong = client.post(f"/api/roster/abnormal/transmissions/{tid}/receive", **medical)
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_tax"
    got = client.post(f"/api/roster/abnormal/transmissions/{tid}/receive", **tax).json()
    assert got["status"] == "received" and got["abnormal"] == 12
    waiting = client.get("/api/roster/abnormal", **tax).json()
    assert len(waiting) == 12 and waiting[0]["deadline"]["rule"] == "abnormal.feedback"
    acted = client.post(
        "/api/roster/abnormal/act",
        {"action": "feed_back", "transmission": tid, "note": "请核实"},
        content_type="application/json",
        **tax,
    ).json()
    assert acted["count"] == 12
    mine = client.get("/api/roster/abnormal", **medical).json()
    assert {i["status"] for i in mine} == {"fed_back"}
    one = client.get(f"/api/roster/abnormal/{mine[0]['id']}", **medical).json()
    assert [s["action"] for s in one["steps"]] == ["raised", "fed_back"]
    assert [d["rule"] for d in one["deadlines"]] == ["abnormal.feedback", "abnormal.verify"]
    refused = client.post(
        "/api/roster/abnormal/act",
        {"action": "verify", "items": [mine[0]["id"]], "note": "x"},
        content_type="application/json",
        **token(county["social"]),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_yours"
    township = token(county["township"])
    assert client.get(f"/api/roster/abnormal/{mine[0]['id']}", **township).status_code == 404


def test_command_check_receives_as_tax_and_list_shows_a_units_queue(county: dict) -> None:
    small_roster(county)
    from liangxian.roster.transmission import roster_transmission_approve, roster_transmission_send

    sent = roster_transmission_approve(actor=county["medical"], campaign=county["campaign"], insurance="medical")
    roster_transmission_send(actor=county["medical"], transmission=sent)
    out = StringIO()
    call_command("abnormal", "check", "--campaign", "2027", "--insurance", "medical", "--json", stdout=out)
    result = orjson.loads(out.getvalue())
    assert result["abnormal"] == 12 and result["by_kind"]["duplicate"] == 4
    sent.refresh_from_db()
    assert sent.status == TransmissionStatus.RECEIVED and sent.received_by is None
    listed = StringIO()
    call_command("abnormal", "list", "--unit", "653123-tax", "--json", stdout=listed)
    rows = orjson.loads(listed.getvalue())
    assert len(rows) == 12 and {r["status"] for r in rows} == {"raised"}
    empty = StringIO()
    call_command("abnormal", "list", "--unit", "653123-medical", "--json", stdout=empty)
    assert orjson.loads(empty.getvalue()) == []
