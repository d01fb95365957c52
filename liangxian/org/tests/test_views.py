"""The organisation pages: who sees which forms and who is turned away."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from liangxian.org import selectors, services
from liangxian.org.models import CollectorAuthorisation, TownshipPost, Unit, User, VillageHandler

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_unit_list_shows_departments_and_townships(people: dict[str, User]) -> None:
    response = client_for(people["collector"]).get("/org/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "英吉沙县税务局" in body and "英吉沙镇" in body


def test_anonymous_is_sent_to_login(units: dict[str, Unit]) -> None:
    response = Client().get("/org/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_tax_sees_the_authorise_form_on_a_village_page(people: dict[str, User]) -> None:
    body = client_for(people["tax"]).get("/org/units/653123100001/").content.decode()
    assert "/org/villages/653123100001/collectors/authorise/" in body


def test_non_tax_does_not_see_the_authorise_form(people: dict[str, User]) -> None:
    body = client_for(people["specialist"]).get("/org/units/653123100001/").content.decode()
    assert "collectors/authorise/" not in body


def test_non_tax_posting_an_authorisation_gets_403(people: dict[str, User]) -> None:
    response = client_for(people["medical"]).post(
        "/org/villages/653123100001/collectors/authorise/",
        {"collector": people["collector"].pk, "valid_from": "2025-09-01"},
    )
    assert response.status_code == 403
    assert not CollectorAuthorisation.objects.exists()


def test_tax_authorises_and_withdraws_on_the_village_page(people: dict[str, User], units: dict[str, Unit]) -> None:
    c = client_for(people["tax"])
    response = c.post(
        "/org/villages/653123100001/collectors/authorise/",
        {"collector": people["collector"].pk, "valid_from": "2025-09-01"},
    )
    assert response.status_code == 302
    a = CollectorAuthorisation.objects.get()

    c.post(f"/org/villages/653123100001/collectors/{a.pk}/withdraw/", {"reason": "离职"})

    a.refresh_from_db()
    assert a.withdrawn_at is not None and a.withdraw_reason == "离职"


def test_township_adds_a_handler_to_its_village(people: dict[str, User]) -> None:
    response = client_for(people["specialist"]).post(
        "/org/villages/653123100001/handlers/add/",
        {"name": "阿卜杜拉·买买提", "post": "协理员", "phone": "13999800301", "duties": "代收现金", "order": 1},
    )
    assert response.status_code == 302
    assert VillageHandler.objects.get().name == "阿卜杜拉·买买提"


def test_another_township_cannot_open_the_handler_form(people: dict[str, User]) -> None:
    response = client_for(people["other_township"]).get("/org/villages/653123100001/handlers/add/")
    assert response.status_code == 403


def test_handler_edit_page_saves_changes(people: dict[str, User], units: dict[str, Unit]) -> None:
    h = services.village_handler_add(
        actor=people["specialist"], village=units["653123100001"], name="甲", post="协理员", phone="1", duties="d"
    )
    c = client_for(people["specialist"])
    assert c.get(f"/org/villages/653123100001/handlers/{h.pk}/edit/").status_code == 200
    c.post(
        f"/org/villages/653123100001/handlers/{h.pk}/edit/",
        {"name": "甲", "post": "协理员", "phone": "13999800999", "duties": "d", "order": 0},
    )
    h.refresh_from_db()
    assert h.phone == "13999800999"


def test_department_designates_its_data_contact_on_its_page(people: dict[str, User], units: dict[str, Unit]) -> None:
    c = client_for(people["medical"])
    assert "contact/" in c.get("/org/units/653123-medical/").content.decode()
    c.post("/org/departments/653123-medical/contact/", {"user": people["medical2"].pk, "since": "2025-09-01"})
    contact = selectors.data_contact_current(unit=units["653123-medical"])
    assert contact is not None and contact.user == people["medical2"]


def test_another_department_cannot_designate_the_contact(people: dict[str, User]) -> None:
    response = client_for(people["tax"]).post(
        "/org/departments/653123-medical/contact/", {"user": people["medical2"].pk, "since": "2025-09-01"}
    )
    assert response.status_code == 403


def test_township_page_files_then_replaces_the_specialist(people: dict[str, User], units: dict[str, Unit]) -> None:
    township = units["653123100"]
    services.township_appoint(
        actor=people["leader"],
        township=township,
        post=TownshipPost.SPECIALIST,
        user=people["specialist"],
        since=dt.date(2025, 1, 1),
    )
    office, leader = client_for(people["specialist"]), client_for(people["leader"])
    page = office.get("/org/units/653123100/").content.decode()
    assert "specialist/filings/" in page

    leader.post(
        "/org/townships/653123100/specialist/replace/", {"incoming": people["specialist2"].pk, "since": "2025-09-01"}
    )
    assert selectors.specialist_current(township=township) == people["specialist"]

    office.post(
        "/org/townships/653123100/specialist/filings/", {"incoming": people["specialist2"].pk, "reason": "调任"}
    )
    assert "specialist/replace/" in leader.get("/org/units/653123100/").content.decode()
    leader.post(
        "/org/townships/653123100/specialist/replace/", {"incoming": people["specialist2"].pk, "since": "2025-09-01"}
    )
    assert selectors.specialist_current(township=township) == people["specialist2"]


def test_notice_preview_shows_the_handlers(people: dict[str, User], units: dict[str, Unit]) -> None:
    services.village_handler_add(
        actor=people["specialist"],
        village=units["653123100001"],
        name="阿卜杜拉·买买提",
        post="协理员",
        phone="13999800301",
        duties="代收现金",
        name_ug="ئابدۇللا مەمەت",
    )
    body = client_for(people["collector"]).get("/org/villages/653123100001/handlers/notice/").content.decode()
    assert "阿卜杜拉·买买提" in body and "ئابدۇللا مەمەت" in body and 'dir="rtl"' in body
