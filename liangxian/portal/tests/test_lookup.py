"""The payer proves who he is: ID number, name, phone's last digits or a proof number, past a captcha."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from liangxian.portal import services
from liangxian.portal.models import LookupAttempt, LookupOutcome
from liangxian.portal.views import SESSION_KEY

from .portal_fixtures import county_paid, f, lookup_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_delay(settings: Any) -> None:
    settings.LIANGXIAN_PORTAL_FAILURE_DELAY = 0


def post(client: Client, data: dict[str, str]) -> Any:
    return client.post("/pay/", data)


def test_a_payer_with_the_right_phone_digits_reaches_his_page() -> None:
    # given 阿依古丽, whose phone on record ends 0001
    county = county_paid()
    aygul = county["people"]["aygul"]
    client = Client()
    # when she types her ID number, her name and 0001 past the captcha
    response = post(client, lookup_data(aygul, secret="0001"))
    # then she is sent to her page, and the session holds her for 10 minutes
    assert response.status_code == 302 and response["Location"] == "/pay/me/"
    assert client.session[SESSION_KEY]["person"] == aygul.pk
    assert LookupAttempt.objects.get().outcome == LookupOutcome.OK


def test_a_proof_number_proves_who_he_is_too() -> None:
    county = county_paid()
    aygul = county["people"]["aygul"]
    response = post(Client(), lookup_data(aygul, secret=county["proof"].number.lower()))
    assert response.status_code == 302
    assert LookupAttempt.objects.get().via == "proof"


def test_another_persons_proof_number_does_not() -> None:
    county = county_paid()
    wang = county["people"]["wang"]
    response = post(Client(), lookup_data(wang, secret=county["proof"].number))
    assert response.status_code == 200
    assert LookupAttempt.objects.get().outcome == LookupOutcome.FAILED


def test_every_failure_gives_the_same_neutral_message() -> None:
    # given a county; failures of three kinds: an ID never registered, a wrong name, a wrong phone
    county = county_paid()
    aygul = county["people"]["aygul"]
    answers = []
    for data in (
        lookup_data(aygul, name="王芳"),
        lookup_data(aygul, secret="9999"),
        {**lookup_data(aygul), "id_number": f.id_number()},
    ):
        response = post(Client(), data)
        assert response.status_code == 200
        answers.append(response.context["error"])
    # then each says the same thing, the neutral message
    assert answers == [services.neutral_message()] * 3
    assert LookupAttempt.objects.filter(outcome=LookupOutcome.FAILED).count() == 3


def test_the_captcha_must_be_answered() -> None:
    county = county_paid()
    data = {**lookup_data(county["people"]["aygul"]), "captcha_1": "wrong"}
    response = post(Client(), data)
    assert response.status_code == 200
    assert response.context["form"].errors["captcha"]
    assert LookupAttempt.objects.count() == 0


def test_five_failures_lock_the_id_even_against_the_right_answer() -> None:
    # given five wrong phone digits for 阿依古丽's ID within 15 minutes
    county = county_paid()
    aygul = county["people"]["aygul"]
    for _ in range(5):
        assert post(Client(), lookup_data(aygul, secret="1234")).status_code == 200
    # when the right answer comes next
    response = post(Client(), lookup_data(aygul, secret="0001"))
    # then it is refused with the same message, and logged as locked
    assert response.status_code == 200
    assert response.context["error"] == services.neutral_message()
    assert LookupAttempt.objects.order_by("-pk").first().outcome == LookupOutcome.LOCKED  # type: ignore[union-attr]
    # and the attempts keep a keyed hash of the ID, never the number itself
    assert set(LookupAttempt.objects.values_list("id_hash", flat=True)) == {services.id_hash(aygul.id_number)}
    assert not LookupAttempt.objects.filter(id_hash=aygul.id_number).exists()


def test_the_lock_lifts_after_15_minutes() -> None:
    county = county_paid()
    aygul = county["people"]["aygul"]
    for _ in range(5):
        post(Client(), lookup_data(aygul, secret="1234"))
    LookupAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert post(Client(), lookup_data(aygul, secret="0001")).status_code == 302


def test_the_lock_of_one_id_does_not_reach_another() -> None:
    county = county_paid()
    aygul, mamat = county["people"]["aygul"], county["people"]["mamat"]
    mamat.phone = "13800001234"
    mamat.save(update_fields=["phone"])
    for _ in range(5):
        post(Client(), lookup_data(aygul, secret="1234"))
    assert post(Client(), lookup_data(mamat, secret="1234")).status_code == 302


def test_the_session_lasts_ten_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    county = county_paid()
    client = Client()
    post(client, lookup_data(county["people"]["aygul"]))
    assert client.get("/pay/me/").status_code == 200
    # when eleven minutes pass
    import time as real_time

    later = real_time.time() + 11 * 60
    monkeypatch.setattr("liangxian.portal.views.time.time", lambda: later)
    # then the page sends her back to prove who she is
    response = client.get("/pay/me/")
    assert response.status_code == 302 and response["Location"] == "/pay/"


def test_a_person_without_a_phone_on_record_cannot_be_proved_by_phone() -> None:
    county = county_paid()
    wang = county["people"]["wang"]  # no phone
    assert post(Client(), lookup_data(wang, secret="0000")).status_code == 200
