"""The payer's page, his proof PDF, staff printing a proof, the public check page and API, the public site."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from pypdf import PdfReader

from liangxian.collection.models import ProofOfPayment
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import paid_at
from liangxian.core.models import AccessLog
from liangxian.portal.models import LookupAttempt, LookupOutcome
from liangxian.portal.selectors import proof_check

from .portal_fixtures import captcha, county_paid, f, lookup_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_delay(settings: Any) -> None:
    settings.LIANGXIAN_PORTAL_FAILURE_DELAY = 0


def signed_in(person: Any, secret: str = "0001") -> Client:  # noqa: S107
    client = Client()
    assert client.post("/pay/", lookup_data(person, secret=secret)).status_code == 302
    return client


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_the_lookup_page_shows_a_captcha_picture_that_loads() -> None:
    response = Client().get("/pay/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="captcha_0"' in html and 'name="captcha_1"' in html
    src = next(part.split('"')[0] for part in html.split('src="') if "/pay/captcha/image/" in part.split('"')[0])
    assert Client().get(src)["Content-Type"] == "image/png"


def test_the_payer_sees_what_he_owes_and_paid_masked() -> None:
    # given 阿依古丽, who paid medical and still owes pension (tiers 100 and 200 open to her)
    county = county_paid()
    aygul = county["people"]["aygul"]
    entry = aygul.roster_entries.get(insurance="pension")
    entry.tiers = "10000,20000"
    entry.save(update_fields=["tiers"])
    client = signed_in(aygul)
    # when she opens her page
    response = client.get("/pay/me/")
    html = response.content.decode()
    # then her name and ID are masked, never whole
    assert "阿＊" in html and aygul.name not in html and aygul.id_number not in html
    assert aygul.id_number[:6] in html and aygul.id_number[-4:] in html
    # and the medical entry is paid, the pension one lists its tiers
    assert 'class="owe medical paid"' in html
    assert "¥100.00" in html and "¥200.00" in html
    # and her payment is listed with its proof's link
    assert f"/pay/proof/{county['proof'].number}.pdf" in html
    # and the view is in the access log as her own
    log = AccessLog.objects.get(object_type="registry.person", channel="portal")
    assert log.duty == "self_service" and log.object_ids == [str(aygul.pk)]


def test_the_waiting_period_is_shown_for_paying_after_the_period() -> None:
    # given a campaign whose concentrated period ended yesterday, and 李明 who has not paid
    county = county_paid()
    campaign = county["campaign"]
    campaign.period_start = timezone.localdate() - timedelta(days=90)
    campaign.period_end = timezone.localdate() - timedelta(days=1)
    campaign.save(update_fields=["period_start", "period_end"])
    li = county["people"]["li"]
    li.phone = "13800005678"
    li.save(update_fields=["phone"])
    html = signed_in(li, "5678").get("/pay/me/").content.decode()
    assert 'class="waiting"' in html


def test_the_payer_downloads_his_proof_with_its_number() -> None:
    county = county_paid()
    client = signed_in(county["people"]["aygul"])
    number = county["proof"].number
    response = client.get(f"/pay/proof/{number}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert number in text
    assert "缴费证明" in text
    assert county["people"]["aygul"].id_number not in text


def test_a_payment_without_a_proof_gets_one_on_demand() -> None:
    county = county_paid()
    ProofOfPayment.objects.all().delete()
    client = signed_in(county["people"]["aygul"])
    response = client.post(f"/pay/me/proof/{county['payment'].pk}/")
    proof = ProofOfPayment.objects.get(payment=county["payment"])
    assert response.status_code == 302 and response["Location"] == f"/pay/proof/{proof.number}.pdf"


def test_a_payer_cannot_fetch_anothers_proof() -> None:
    county = county_paid()
    mamat = county["people"]["mamat"]
    mamat.phone = "13800004321"
    mamat.save(update_fields=["phone"])
    client = signed_in(mamat, "4321")
    assert client.get(f"/pay/proof/{county['proof'].number}.pdf").status_code == 404
    assert client.post(f"/pay/me/proof/{county['payment'].pk}/").status_code == 404
    assert Client().get(f"/pay/proof/{county['proof'].number}.pdf").status_code == 404


def test_staff_in_scope_print_a_proof_and_it_is_logged() -> None:
    county = county_paid()
    number = county["proof"].number
    for user in (county["tax"], county["town_a_user"]):
        client = Client()
        client.force_login(user)
        assert client.get(f"/pay/proof/{number}.pdf").status_code == 200
        assert AccessLog.objects.filter(user=user, action="export", object_type="collection.proofofpayment").exists()
    # but the other township may not, and the refusal is logged
    client = Client()
    client.force_login(county["town_b_user"])
    assert client.get(f"/pay/proof/{number}.pdf").status_code == 404
    assert AccessLog.objects.filter(user=county["town_b_user"], action="denied").exists()


def test_the_collector_who_took_the_cash_prints_its_proof() -> None:
    county = county_paid()
    collector = f.collector(f.VILLAGE_A2)
    li = county["people"]["li"]
    recorded = payment_record(
        PaymentIn(
            channel="hall",
            txn_no="HALL-1",
            id_number=li.id_number,
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=paid_at(),
            source="cash",
            collector_id=collector.pk,
        )
    )
    proof = ProofOfPayment.objects.create(
        number="JF2027TEST", token="tok-cash", payment=recorded.payment, issued_at=timezone.now()
    )
    client = Client()
    client.force_login(collector)
    assert client.get(f"/pay/proof/{proof.number}.pdf").status_code == 200
    other = Client()
    other.force_login(f.collector(f.VILLAGE_B1))
    assert other.get(f"/pay/proof/{proof.number}.pdf").status_code == 404


def test_the_check_page_shows_only_the_minimum() -> None:
    county = county_paid()
    aygul = county["people"]["aygul"]
    proof = county["proof"]
    response = Client().get(f"/check/{proof.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    # the facts: number, masked name, year, amount, channel
    assert proof.number in html and "阿＊" in html and "2027" in html and "¥400.00" in html
    assert 'class="channel"' in html
    # nothing more: no full name, no ID number or part of it, no transaction number, no village
    for secret in (aygul.name, aygul.id_number, aygul.id_number[-4:], county["payment"].txn_no, aygul.phone):
        assert secret not in html
    assert set(vars(proof_check(proof.token)).keys()) == {
        "number",
        "name_masked",
        "insurance",
        "insurance_label",
        "coverage_year",
        "amount",
        "amount_text",
        "paid_on",
        "channel",
        "channel_label",
        "refunded",
    }


def test_an_unknown_check_code_is_404() -> None:
    assert Client().get("/check/not-a-token/").status_code == 404


def test_the_api_check_needs_no_credential_and_shows_the_same_minimum() -> None:
    county = county_paid()
    proof = county["proof"]
    response = Client().get(f"/api/portal/proofs/{proof.token}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == proof.number and body["name"] == "阿＊" and body["amount"] == "400.00"
    assert county["people"]["aygul"].id_number not in response.content.decode()
    missing = Client().get("/api/portal/proofs/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@override_settings(ROOT_URLCONF="config.urls_public")
def test_the_public_site_serves_only_the_portal() -> None:
    county = county_paid()
    client = Client()
    for path in ("/admin/", "/api/", "/api/portal/proofs/x", "/residents/", "/roster/due/", "/login/", "/cash/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/").status_code == 302
    assert client.get("/pay/").status_code == 200
    assert client.get(f"/check/{county['proof'].token}/").status_code == 200
    assert client.post("/pay/", lookup_data(county["people"]["aygul"])).status_code == 302
    assert client.get("/pay/me/").status_code == 200
    assert "captcha_0" in captcha()


def test_paying_after_the_period_shows_when_benefits_start() -> None:
    # given 阿依古丽 paid on 2026-11-02, after a concentrated period that ended on 2026-10-01
    county = county_paid()
    campaign = county["campaign"]
    campaign.period_start, campaign.period_end = date(2026, 9, 1), date(2026, 10, 1)
    campaign.save(update_fields=["period_start", "period_end"])
    html = signed_in(county["people"]["aygul"]).get("/pay/me/").content.decode()
    # then her page shows the waiting period: benefits three months after paying
    assert 'class="waiting"' in html and "2027-02-02" in html


def test_many_failures_from_one_address_lock_it_across_id_numbers() -> None:
    county = county_paid()
    for _ in range(20):
        Client().post("/pay/", {**lookup_data(county["people"]["aygul"]), "id_number": f.id_number()})
    response = Client().post("/pay/", lookup_data(county["people"]["aygul"]))
    assert response.status_code == 200
    assert LookupAttempt.objects.order_by("-pk").first().outcome == LookupOutcome.LOCKED  # type: ignore[union-attr]
