"""The roster build's front doors: pages, API and command, each scoped and logged (Art 16, 20-21)."""
# ruff: noqa: F811 -- the shared fixture comes from test_build_service and is used as a parameter

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from liangxian.core.models import AccessLog
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f
from liangxian.roster.build import roster_build
from liangxian.roster.models import RosterBuild
from liangxian.web.api_auth import api_token_issue

from .test_build_service import YEAR, born, county  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(county: dict[str, Any]) -> dict[str, Any]:
    """A built roster: a payer in village A1 (a student of 一中), one on 特困 in A2, one in B1."""
    a1 = f.person(f.VILLAGE_A1, name="艾力·吐尔逊", birth_date=born(17))
    county["lists"].put(a1, "student", "英吉沙县第一中学")
    a2 = f.person(f.VILLAGE_A2, name="古丽·买买提", birth_date=born(40))
    county["lists"].put(a2, "special_hardship")
    b1 = f.person(f.VILLAGE_B1, name="王芳", birth_date=born(30))
    county["lists"].put(b1, "student", "喀什大学")
    roster_build(actor=county["medical"], campaign=county["campaign"])
    return county | {"a1": a1, "a2": a2, "b1": b1}


def test_a_village_user_sees_only_his_villages_entries_masked_and_the_read_is_logged(built: dict[str, Any]) -> None:
    client = Client()
    client.force_login(f.collector(f.VILLAGE_A1))
    response = client.get(reverse("roster:entries"), {"campaign": str(YEAR)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "艾力·吐尔逊" in page and "古丽·买买提" not in page and "王芳" not in page
    assert built["a1"].id_number not in page
    log = AccessLog.objects.get(object_type="roster.entry")
    assert (log.action, sorted(set(log.object_ids))) == ("list", [str(built["a1"].pk)])


def test_entries_filter_by_daijiao_category_and_reason(built: dict[str, Any]) -> None:
    client = Client()
    client.force_login(f.department("tax"))
    hardship = client.get(reverse("roster:entries"), {"campaign": str(YEAR), "category": "special_hardship"})
    assert "古丽·买买提" in hardship.content.decode() and "王芳" not in hardship.content.decode()
    students = client.get(reverse("roster:entries"), {"campaign": str(YEAR), "reason": "student"}).content.decode()
    assert "王芳" in students and "古丽·买买提" not in students


def test_the_build_page_builds_for_medical_staff_and_shows_the_counts(built: dict[str, Any]) -> None:
    client = Client()
    client.force_login(built["medical"])
    response = client.post(reverse("roster:build"), {"campaign": str(YEAR)}, follow=True)
    assert response.status_code == 200
    assert RosterBuild.objects.filter(status="done").count() == 2
    page = response.content.decode()
    assert "#2" in page
    detail = client.get(reverse("roster:build_detail", args=[RosterBuild.objects.get(number=2).pk]))
    assert detail.status_code == 200


def test_the_build_button_refuses_a_township_user(built: dict[str, Any]) -> None:
    township = f.user(f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="town-a"), Role.SPECIALIST)
    client = Client()
    client.force_login(township)
    client.post(reverse("roster:build"), {"campaign": str(YEAR)})
    assert RosterBuild.objects.count() == 1


def test_education_lists_unpaid_students_by_school_and_exports_them(built: dict[str, Any]) -> None:
    client = Client()
    client.force_login(f.department("education"))
    page = client.get(reverse("roster:school_reminders"), {"campaign": str(YEAR)}).content.decode()
    assert "英吉沙县第一中学" in page and "喀什大学" in page
    export = client.get(reverse("roster:school_reminders_export"), {"campaign": str(YEAR), "school": "喀什大学"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active  # type: ignore[attr-defined]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[:2] for r in rows] == [["喀什大学", "王芳"]]
    assert rows[0][2] != built["b1"].id_number and rows[0][4] == "400.00"  # masked for education
    assert AccessLog.objects.filter(action="export", duty="school_reminder").exists()


def test_cli_build_json_prints_counts_and_changes(built: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    f.person(f.VILLAGE_B1, name="新来的", birth_date=born(25))
    call_command("roster", "build", "--campaign", str(YEAR), "--json")
    result = json.loads(capsys.readouterr().out)
    assert (result["number"], result["status"]) == (2, "done")
    assert result["changes"]["added"] == 2 and result["changes"]["changed"] == 0
    assert result["counts"]["entries"] == 8
    assert {c["kind"] for c in result["change_sample"]} == {"added"}


def test_cli_refuses_an_unknown_campaign() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("roster", "build", "--campaign", "1999")


def _token(user: Any) -> dict[str, Any]:
    admin = f.user(None, Role.SYSADMIN, is_superuser=True)
    _, secret = api_token_issue(actor=admin, unit=user.unit, user=user, name="system")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_api_builds_lists_and_reads_a_build(built: dict[str, Any]) -> None:
    client = Client()
    headers = _token(built["medical"])
    created = client.post("/api/roster/builds", {"campaign": str(YEAR)}, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["number"], body["changes"]["changed"], body["campaign"]) == (2, 0, YEAR)
    listed = client.get("/api/roster/builds", {"campaign": str(YEAR)}, **headers).json()
    assert [b["number"] for b in listed] == [2, 1]
    detail = client.get(f"/api/roster/builds/{body['id']}", **headers).json()
    assert detail["changes_in_scope"] == 0


def test_api_refuses_a_build_by_a_department_without_the_duty(built: dict[str, Any]) -> None:
    client = Client()
    response = client.post(
        "/api/roster/builds", {"campaign": str(YEAR)}, content_type="application/json", **_token(f.department("civil"))
    )
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"


def test_api_entries_are_scoped_to_the_village_and_masked(built: dict[str, Any]) -> None:
    client = Client()
    village = f.collector(f.VILLAGE_A2)
    body = client.get("/api/roster/entries", {"campaign": str(YEAR)}, **_token(village)).json()
    assert body["count"] == 2
    assert {e["person_id"] for e in body["items"]} == {built["a2"].pk}
    medical = next(e for e in body["items"] if e["insurance"] == "medical")
    assert (medical["daijiao_category"], medical["gov_fen"], medical["own_fen"]) == ("special_hardship", 40000, 0)
    assert "*" in medical["id_number"]
    tax = client.get(
        "/api/roster/entries", {"campaign": str(YEAR), "must_pay": "0"}, **_token(f.department("tax"))
    ).json()
    assert {(e["person_id"], e["reason"]) for e in tax["items"]} == {
        (built["a1"].pk, "student"),
        (built["b1"].pk, "student"),
    }
    assert AccessLog.objects.filter(object_type="roster.entry", channel="api").count() == 2
