"""The due-list pages and API: scope, the message before the push, downloads, progress, the survey page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from liangxian.core.models import AccessLog
from liangxian.roster import duelists
from liangxian.roster.models import DueListPush, SurveyMark

from .due_fixtures import due_county, f

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return due_county()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pushed(county: dict[str, Any]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])


def test_township_sees_a_clear_message_before_the_push(county: dict[str, Any]) -> None:
    response = client_for(county["town_a_user"]).get(reverse("roster:duelist"))
    assert response.status_code == 200
    assert b"not-pushed" in response.content
    assert "阿依古丽" not in response.content.decode()


def test_township_sees_only_its_own_due_list(county: dict[str, Any]) -> None:
    pushed(county)
    client = client_for(county["town_a_user"])

    page = client.get(reverse("roster:duelist")).content.decode()
    other = client.get(reverse("roster:duelist"), {"township": f.TOWN_B})

    assert "李明" in page and "王芳" in page and "买买提·吐尔逊" not in page
    assert "低保" in page and "minimum_allowance</td>" not in page
    assert "赵六" not in page  # need not pay
    assert county["people"]["li"].id_number not in page  # masked
    assert other.status_code == 404
    assert AccessLog.objects.filter(
        object_type=duelists.OBJECT_TYPE, action="denied", user=county["town_a_user"]
    ).exists()


def test_village_filter_on_the_page(county: dict[str, Any]) -> None:
    pushed(county)
    page = client_for(county["town_a_user"]).get(reverse("roster:duelist"), {"village": f.VILLAGE_A2}).content.decode()
    assert "李明" in page and "王芳" not in page


def test_other_departments_are_refused(county: dict[str, Any]) -> None:
    response = client_for(county["police"]).get(reverse("roster:duelist"))
    assert response.status_code == 403


def test_tax_pushes_from_the_page(county: dict[str, Any]) -> None:
    client = client_for(county["tax"])
    page = client.get(reverse("roster:duelist"))
    assert page.status_code == 200 and b"township-a" in page.content

    response = client.post(reverse("roster:duelist_push"), {"campaign": county["campaign"].coverage_year})

    assert response.status_code == 302
    assert DueListPush.objects.count() == 2


def test_tax_opens_any_townships_list_with_whole_id_numbers(county: dict[str, Any]) -> None:
    page = client_for(county["tax"]).get(reverse("roster:duelist"), {"township": f.TOWN_B}).content.decode()
    assert "买买提·吐尔逊" in page and "李明" not in page
    assert county["people"]["mamat"].id_number in page


def test_township_cannot_push(county: dict[str, Any]) -> None:
    response = client_for(county["town_a_user"]).post(
        reverse("roster:duelist_push"), {"campaign": county["campaign"].coverage_year}
    )
    assert response.status_code == 403
    assert not DueListPush.objects.exists()


def test_xlsx_download_is_the_filtered_list_and_logged(county: dict[str, Any]) -> None:
    pushed(county)
    response = client_for(county["town_a_user"]).get(reverse("roster:duelist_export"), {"village": f.VILLAGE_A1})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)  # type: ignore[attr-defined]
    names = sorted({r[3] for r in book.active.iter_rows(min_row=4, values_only=True)})
    assert names == ["王芳", "阿依古丽·艾买提"]
    assert AccessLog.objects.filter(object_type=duelists.OBJECT_TYPE, action="export").count() == 1


def test_xlsx_of_another_township_is_404(county: dict[str, Any]) -> None:
    pushed(county)
    response = client_for(county["town_a_user"]).get(reverse("roster:duelist_export"), {"township": f.TOWN_B})
    assert response.status_code == 404


def test_pdf_download(county: dict[str, Any]) -> None:
    pushed(county)
    response = client_for(county["village_a1_user"]).get(reverse("roster:duelist_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_progress_page_has_the_chart_data(county: dict[str, Any]) -> None:
    pushed(county)
    page = client_for(county["town_a_user"]).get(reverse("roster:progress")).content.decode()
    assert 'id="progress-data"' in page and "roster/due_progress.js" in page
    assert "一村" in page and "二村" in page


def test_survey_page_of_the_township(county: dict[str, Any]) -> None:
    from liangxian.exchange.catalogue import catalogue_load
    from liangxian.exchange.models import Dataset
    from liangxian.registry.tests import exchange_fixtures as xf

    catalogue_load()
    sub = xf.submission(
        Dataset.objects.get(code="township.village_survey"), county["town_a"], county["town_a_user"], []
    )
    SurveyMark.objects.create(
        campaign=county["campaign"],
        person=county["people"]["aygul"],
        mark="cash_only",
        submission=sub,
        township_code=f.TOWN_A,
        village_code=f.VILLAGE_A1,
        since=sub.submitted_at,
    )
    client = client_for(county["town_a_user"])

    page = client.get(reverse("roster:survey")).content.decode()
    other = client.get(reverse("roster:survey"), {"township": f.TOWN_B})

    assert "阿依古丽·艾买提" in page
    assert other.status_code == 404


def test_api_lists_the_due_list_in_scope(county: dict[str, Any]) -> None:
    client = client_for(county["town_a_user"])
    assert client.get("/api/roster/duelist").status_code == 409  # not pushed yet
    pushed(county)

    body = client.get("/api/roster/duelist", {"insurance": "medical"}).json()

    assert body["count"] == 3
    assert {r["name"] for r in body["rows"]} == {"阿依古丽·艾买提", "王芳", "李明"}
    assert client.get("/api/roster/duelist", {"township": f.TOWN_B}).status_code == 404


def test_api_push_is_for_tax(county: dict[str, Any]) -> None:
    year = county["campaign"].coverage_year
    refused = client_for(county["town_a_user"]).post(
        "/api/roster/duelist/push", {"campaign": year}, content_type="application/json"
    )
    done = client_for(county["tax"]).post(
        "/api/roster/duelist/push", {"campaign": year}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert done.status_code == 200 and {p["township"] for p in done.json()} == {"township-a", "township-b"}


def test_api_progress(county: dict[str, Any]) -> None:
    body = client_for(county["tax"]).get("/api/roster/duelist/progress").json()
    assert [(t["code"], t["must_pay"], len(t["villages"])) for t in body] == [(f.TOWN_A, 3, 2), (f.TOWN_B, 1, 1)]


def test_command_push_and_export(county: dict[str, Any], tmp_path: Any) -> None:
    from django.core.management import call_command

    year = str(county["campaign"].coverage_year)
    call_command("duelist", "push", "--campaign", year, "--as", county["tax"].username)
    xlsx = tmp_path / "a.xlsx"
    pdf = tmp_path / "a.pdf"
    call_command(
        "duelist",
        "export",
        "--campaign",
        year,
        "--township",
        f.TOWN_A,
        "--format",
        "xlsx",
        "--out",
        str(xlsx),
        "--as",
        "town_a",
    )
    call_command(
        "duelist",
        "export",
        "--campaign",
        year,
        "--township",
        f.TOWN_A,
        "--format",
        "pdf",
        "--out",
        str(pdf),
        "--as",
        "town_a",
    )
    assert DueListPush.objects.count() == 2
    rows = list(load_workbook(xlsx, read_only=True).active.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 4
    assert pdf.read_bytes().startswith(b"%PDF-")
