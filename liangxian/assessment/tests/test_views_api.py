"""The pages, the API and the command share the services: scope, drill-down, masking, printing, weights."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from liangxian.assessment import services
from liangxian.assessment.models import AssessmentRun, Score
from liangxian.core.models import AccessLog
from liangxian.registry.tests import factories as f

from .fixtures import AS_OF

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def computed(county: dict[str, Any]) -> AssessmentRun:
    return services.assessment_compute(by=county["tax"], year=2027, as_of=AS_OF)


def test_tax_computes_on_the_page_and_sees_the_three_ranked_tables_with_evidence_links(county: dict[str, Any]) -> None:
    tax = client_for(county["tax"])
    assert "compute-button" in tax.get("/assessment/").content.decode()

    response = tax.post("/assessment/compute/", {"year": "2027"})

    assert response.status_code == 302 and response["Location"].endswith("/assessment/2027/")
    page = tax.get("/assessment/2027/").content.decode()
    for kind in ("township", "department", "staff"):
        assert f"scores-{kind}" in page
    a = Score.objects.get(subject_code=f.TOWN_A)
    assert f"/assessment/2027/evidence/{a.components['collection_rate']['evidence']}/" in page
    assert "finalise-button" in page


def test_a_township_sees_only_its_own_score_and_evidence(county: dict[str, Any]) -> None:
    run = computed(county)
    town = client_for(county["township_a"])

    page = town.get("/assessment/2027/").content.decode()

    assert f'data-code="{f.TOWN_A}"' in page and f'data-code="{f.TOWN_B}"' not in page
    assert "scores-department" not in page and "finalise-button" not in page
    b = Score.objects.get(run=run, subject_code=f.TOWN_B)
    assert town.get(f"/assessment/2027/evidence/{b.components['coverage']['evidence']}/").status_code == 404
    assert town.get("/assessment/2027/discipline.pdf").status_code == 404
    assert client_for(county["publicity"]).get("/assessment/").status_code == 404


def test_evidence_lists_the_entries_masked_and_the_listing_is_access_logged(county: dict[str, Any]) -> None:
    run = computed(county)
    a = Score.objects.get(run=run, subject_code=f.TOWN_A)
    ref = a.components["collection_rate"]["evidence"]

    page = client_for(county["discipline"]).get(f"/assessment/2027/evidence/{ref}/").content.decode()

    unpaid = county["a1"][3]
    assert f"roster.entry:{unpaid.pk}" in page
    assert unpaid.person.id_number not in page and "赵*" in page
    log = AccessLog.objects.get(object_type="roster.entry", user_id=county["discipline"].pk)
    assert str(unpaid.pk) in log.object_ids and log.count == 5


def test_the_report_prints_as_pdf_and_xlsx_and_the_discipline_report_as_pdf(county: dict[str, Any]) -> None:
    computed(county)
    tax = client_for(county["tax"])

    pdf = tax.get("/assessment/2027/report.pdf")
    book = tax.get("/assessment/2027/report.xlsx")
    discipline = client_for(county["discipline"]).get("/assessment/2027/discipline.pdf")

    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert book.status_code == 200 and book.content.startswith(b"PK")
    assert discipline.status_code == 200 and discipline.content.startswith(b"%PDF")
    assert AccessLog.objects.filter(object_type="assessment.run", action="export").count() == 3


def test_the_printed_report_carries_every_figure_with_its_evidence_reference(county: dict[str, Any]) -> None:
    from liangxian.assessment import printing

    run = computed(county)
    # The PDF is drawn from this HTML; each figure's reference is in it.
    from django.template.loader import render_to_string

    html = render_to_string("assessment/report_pdf.html", printing._context(None, run))
    refs = [c["evidence"] for s in Score.objects.filter(run=run) for c in s.components.values()]
    assert refs and all(ref in html for ref in refs)


def test_weights_page_saves_for_tax_and_is_read_only_for_others(county: dict[str, Any]) -> None:
    services.weights_load()
    tax = client_for(county["tax"])
    form = {f"w-{k}-{c}": str(w) for k, ws in services.current_criteria()["weights"].items() for c, w in ws.items()}
    form |= {f"t-{c}": str(v) for c, v in services.current_criteria()["thresholds"].items()}
    form["w-township-coverage"] = "40"

    assert tax.post("/assessment/weights/", form).status_code == 302
    assert services.current_criteria()["weights"]["township"]["coverage"] == 40
    page = client_for(county["discipline"]).get("/assessment/weights/").content.decode()
    assert "disabled" in page and "save-weights" not in page
    bad = tax.post("/assessment/weights/", form | {"w-township-coverage": "x"})
    assert bad.status_code == 200 and services.current_criteria()["weights"]["township"]["coverage"] == 40


def test_the_api_computes_lists_scores_shows_evidence_and_refuses_garbage(county: dict[str, Any]) -> None:
    tax, town = client_for(county["tax"]), client_for(county["township_a"])

    made = tax.post("/api/assessment/runs", {"year": 2027}, content_type="application/json")
    assert made.status_code == 201 and made.json()["year"] == 2027
    assert town.post("/api/assessment/runs", {"year": 2027}, content_type="application/json").status_code == 403
    scores = tax.get("/api/assessment/runs/2027/scores?kind=township").json()
    assert [s["subject_code"] for s in scores] == [f.TOWN_B, f.TOWN_A]
    ref = scores[1]["components"]["timeliness"]["evidence"]
    evidence = tax.get(f"/api/assessment/runs/2027/evidence/{ref}").json()
    assert evidence["rows"][0]["key"] == f"obligation:{county['late_a'].pk}"
    assert [s["subject_code"] for s in town.get("/api/assessment/runs/2027/scores").json()] == [f.TOWN_A]
    for path in ("/api/assessment/runs/abc", "/api/assessment/runs/99999999999999999999"):
        assert tax.get(path).status_code == 404
    assert tax.get("/api/assessment/runs/2027/evidence/2027-T0-RATE").status_code == 404
    assert tax.get("/api/assessment/runs/2027/evidence/%00x").status_code in (400, 404)
    assert tax.get("/api/assessment/weights").json()["weights"]["township"]["coverage"] == 25
    put = tax.put(
        "/api/assessment/weights", {"weights": {"township": {"coverage": 101}}}, content_type="application/json"
    )
    assert put.status_code == 400
    assert tax.post("/api/assessment/runs/2027/finalise").json()["status"] == "final"
    assert tax.post("/api/assessment/runs/2027/finalise").status_code == 409


def test_the_command_runs_prints_and_loads_weights(county: dict[str, Any], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("assessment", "weights", "--load", "--json", stdout=out)
    assert orjson.loads(out.getvalue())["weights"]["staff"]["collection_rate"] == 70

    out = io.StringIO()
    call_command("assessment", "run", "--campaign", "2027", "--as", county["tax"].username, "--json", stdout=out)
    data = orjson.loads(out.getvalue())
    assert data["year"] == 2027 and {s["kind"] for s in data["scores"]} == {"township", "department", "staff"}

    target = tmp_path / "a.pdf"
    call_command("assessment", "print", "--campaign", "2027", "--out", str(target), stdout=io.StringIO())
    assert target.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError):
        call_command("assessment", "run", "--campaign", "2027", "--as", county["civil"].username, stdout=io.StringIO())
