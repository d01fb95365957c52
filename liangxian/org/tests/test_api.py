"""The organisation API: units and the collector authorisation endpoints (Art 30)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from liangxian.org import services
from liangxian.org.models import CollectorAuthorisation, Unit, User

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_units_lists_every_unit(people: dict[str, User]) -> None:
    data = client_for(people["collector"]).get("/api/org/units").json()
    codes = {u["code"] for u in data}
    assert {"653123-tax", "653123100", "653123100001", "653123-bank-abc"} <= codes


def test_units_filters_by_kind(people: dict[str, User]) -> None:
    data = client_for(people["collector"]).get("/api/org/units?kind=township").json()
    assert [u["code"] for u in data] == ["653123100", "653123101"]


def test_unit_detail_has_its_villages_and_keeps_chinese_unescaped(people: dict[str, User]) -> None:
    response = client_for(people["tax"]).get("/api/org/units/653123100")
    assert response.status_code == 200
    assert "英吉沙镇".encode() in response.content
    assert [c["code"] for c in response.json()["children"]] == ["653123100001", "653123100002"]


def test_unknown_unit_is_404(people: dict[str, User]) -> None:
    assert client_for(people["tax"]).get("/api/org/units/nope").status_code == 404


def test_anonymous_gets_401(units: dict[str, Unit]) -> None:
    assert Client().get("/api/org/units").status_code == 401


def test_authorisation_query_answers_by_date(people: dict[str, User], units: dict[str, Unit]) -> None:
    services.collector_authorise(
        actor=people["tax"],
        collector=people["collector"],
        village=units["653123100001"],
        valid_from=dt.date(2025, 9, 1),
        valid_until=dt.date(2025, 12, 31),
    )
    c = client_for(people["specialist"])
    url = "/api/org/collectors/collector/authorisation?village=653123100001&on="
    assert c.get(url + "2025-10-01").json() == {"authorised": True}
    assert c.get(url + "2026-01-01").json() == {"authorised": False}


def test_non_tax_post_authorise_gets_403(people: dict[str, User]) -> None:
    response = client_for(people["medical"]).post(
        "/api/org/collectors/authorisations",
        {"collector": "collector", "village": "653123100001", "valid_from": "2025-09-01"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not CollectorAuthorisation.objects.exists()


def test_tax_authorises_then_withdraws_through_the_api(people: dict[str, User]) -> None:
    c = client_for(people["tax"])
    created = c.post(
        "/api/org/collectors/authorisations",
        {"collector": "collector", "village": "653123100001", "valid_from": "2025-09-01"},
        content_type="application/json",
    )
    assert created.status_code == 201
    a_id = created.json()["id"]

    again = c.post(
        "/api/org/collectors/authorisations",
        {"collector": "collector", "village": "653123100001", "valid_from": "2025-09-01"},
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["code"] == "already_authorised"

    withdrawn = c.post(
        f"/api/org/collectors/authorisations/{a_id}/withdraw", {"reason": "离职"}, content_type="application/json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None


def test_non_tax_withdraw_gets_403(people: dict[str, User], units: dict[str, Unit]) -> None:
    a = services.collector_authorise(
        actor=people["tax"],
        collector=people["collector"],
        village=units["653123100001"],
        valid_from=dt.date(2025, 9, 1),
    )
    response = client_for(people["specialist"]).post(
        f"/api/org/collectors/authorisations/{a.pk}/withdraw", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
