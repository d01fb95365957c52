"""The pages, the API and the command: a unit's to-do on its home page, its list in scope, manual fulfilment."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from liangxian.campaigns.models import Campaign
from liangxian.obligations import services
from liangxian.obligations.models import Obligation
from liangxian.org.models import Role, Unit, User
from liangxian.web.api_auth import api_token_issue

from .conftest import TOWN_A, TOWN_B, make_user


@pytest.fixture
def generated(campaign: Campaign) -> Campaign:
    services.obligations_generate(actor=None, campaign=campaign)
    return campaign


@pytest.fixture
def users(units: dict[str, Unit]) -> dict[str, User]:
    return {
        "township": make_user("specialist", units[TOWN_A], Role.SPECIALIST),
        "other_township": make_user("other", units[TOWN_B], Role.SPECIALIST),
        "tax": make_user("tax", units["653123-tax"]),
        "medical": make_user("medical", units["653123-medical"]),
        "admin": make_user("admin", None, Role.SYSADMIN),
    }


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_page_shows_the_units_to_do_above_its_duties(generated: Campaign, users: dict[str, User]) -> None:
    # Given the campaign's obligations (S = 1 Sep 2026: the township's notice was due 31 Aug; today is later)
    html = client_for(users["township"]).get("/").content.decode()
    # Then the township's home page lists its overdue notice and survey, and nothing of another unit
    todo = html[html.index('id="todo"') : html.index('id="duties-title"')]
    assert "按村（社区）公示社保经办人员" in todo and "完成参保摸排，形成有效缴费明细清册" in todo
    assert "向税务部门传递当年有效缴费明细清册" not in todo
    # And medical insurance's home page shows December's report as pending with the reason (January 2027)
    html = client_for(users["medical"]).get("/").content.decode()
    todo = html[html.index('id="todo"') : html.index('id="duties-title"')]
    pending = Obligation.objects.get(rule_id="monthly.report", unit__code="653123-medical", period="2026-12")
    assert pending.due_date is None and pending.pending_reason in todo
    assert "向税务部门传递当年有效缴费明细清册" in todo


def test_township_sees_only_its_own_obligations(generated: Campaign, users: dict[str, User]) -> None:
    client = client_for(users["township"])
    html = client.get("/obligations/").content.decode()
    assert "按村（社区）公示社保经办人员" in html
    assert "乌恰镇" not in html.split('id="f-state"')[1]  # no row of the other township
    other = Obligation.objects.get(rule_id="handlers.notice", unit__code=TOWN_B)
    assert client.get(f"/obligations/{other.pk}/").status_code == 404


def test_tax_sees_every_unit_and_filters_by_unit(generated: Campaign, users: dict[str, User]) -> None:
    client = client_for(users["tax"])
    html = client.get("/obligations/", {"unit": TOWN_B, "state": "overdue"}).content.decode()
    assert "乌恰镇" in html and "按村（社区）公示社保经办人员" in html
    assert 'id="f-unit"' in html


def test_manual_fulfilment_from_the_page(generated: Campaign, users: dict[str, User]) -> None:
    client = client_for(users["township"])
    notice = Obligation.objects.get(rule_id="handlers.notice", unit__code=TOWN_A)
    assert 'name="note"' in client.get(f"/obligations/{notice.pk}/").content.decode()
    response = client.post(f"/obligations/{notice.pk}/fulfil/", {"note": "已在各村公示"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.fulfilled_label, notice.fulfilled_by_user, notice.late) == ("已在各村公示", users["township"], True)
    # Another township cannot even see it; a rule met by a submission has no form
    assert (
        client_for(users["other_township"]).post(f"/obligations/{notice.pk}/fulfil/", {"note": "x"}).status_code == 404
    )
    survey = Obligation.objects.get(rule_id="list.township.village_survey", unit__code=TOWN_A)
    assert 'name="note"' not in client.get(f"/obligations/{survey.pk}/").content.decode()
    assert client.post(f"/obligations/{survey.pk}/fulfil/", {"note": "x"}).status_code == 400


def _token(user: User, admin: User) -> dict[str, str]:
    assert user.unit is not None
    _row, secret = api_token_issue(actor=admin, unit=user.unit, user=user, name="system")
    return {"Authorization": f"Bearer {secret}"}


def test_api_lists_the_callers_obligations_and_fulfils_a_manual_one(
    generated: Campaign, users: dict[str, User], settings: Any
) -> None:
    admin = users["admin"]
    admin.is_superuser = True
    admin.save()
    headers = _token(users["township"], admin)
    client = Client()
    rows = client.get("/api/obligations", {"state": "overdue"}, headers=headers).json()
    assert rows and {r["unit"] for r in rows} == {TOWN_A}
    notice = next(r for r in rows if r["rule"] == "handlers.notice")
    assert notice["due_date"] == "2026-08-31" and notice["manual"] is True
    other = Obligation.objects.get(rule_id="handlers.notice", unit__code=TOWN_B)
    assert client.get(f"/api/obligations/{other.pk}", headers=headers).status_code == 404
    done = client.post(f"/api/obligations/{notice['id']}/fulfil", {"note": "公示完毕"}, headers=headers)
    assert done.status_code == 200 and done.json()["state"] == "done" and done.json()["late"] is True
    survey = Obligation.objects.get(rule_id="list.township.village_survey", unit__code=TOWN_A)
    refused = client.post(f"/api/obligations/{survey.pk}/fulfil", {"note": "x"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "obligation_not_manual")


def test_cli_lists_a_units_obligations_as_json(generated: Campaign) -> None:
    out = io.StringIO()
    call_command("obligations", "list", "--unit", "653123-medical", "--campaign", "2027", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert {r["unit"] for r in rows} == {"653123-medical"}
    roster = next(r for r in rows if r["rule"] == "roster.to_tax")
    assert (roster["due_date"], roster["state"]) == ("2026-08-17", "overdue")
    december = next(r for r in rows if r["rule"] == "monthly.report" and r["period"] == "2026-12")
    assert december["due_date"] is None and "2027" in december["pending_reason"]
    out = io.StringIO()
    call_command("obligations", "list", "--unit", "653123-medical", "--state", "pending", "--json", stdout=out)
    assert {r["state"] for r in json.loads(out.getvalue())} == {"pending"}


def test_cli_rules_and_generate_are_idempotent(campaign: Campaign) -> None:
    out = io.StringIO()
    call_command("obligations", "rules", stdout=out)
    assert "0 created" in out.getvalue()
    out = io.StringIO()
    call_command("obligations", "generate", "--campaign", "2027", "--json", stdout=out)
    first = json.loads(out.getvalue())
    out = io.StringIO()
    call_command("obligations", "generate", "--campaign", "2027", "--json", stdout=out)
    assert first["created"] == Obligation.objects.count() > 0
    assert json.loads(out.getvalue())["created"] == 0
