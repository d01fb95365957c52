"""Pages, API and command over the same services: scope, masking, access log, the whole loop."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from liangxian.core.models import AccessLog

from .. import services
from ..models import Hit, Referral, Sample, SelfCheck
from .fixtures import screening_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return screening_county()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_villages_see_nothing_and_a_township_sees_only_its_own(county: dict[str, Any]) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)
    services.run_push(actor=county["tax"], run_id=run.pk)
    village = client_for(county["honest"])
    assert village.get("/screening/").status_code == 404
    assert village.get("/api/screening/runs").status_code == 403
    town_b = client_for(county["town_b_user"])
    hits = town_b.get(f"/api/screening/runs/{run.pk}/hits").json()
    assert hits and {h["township_code"] for h in hits} == {"653123200"}
    a_check = SelfCheck.objects.get(township_code="653123100")
    assert town_b.get(f"/screening/selfchecks/{a_check.pk}/").status_code == 404
    a_hit = Hit.objects.filter(township_code="653123100").first()
    assert a_hit is not None
    assert town_b.get(f"/screening/hits/{a_hit.pk}/").status_code == 404


def test_the_run_page_masks_ids_for_discipline_and_logs_the_listing(county: dict[str, Any]) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)
    over = Hit.objects.filter(rule__code="overcharge").select_related("person").first()
    assert over is not None and over.person is not None
    page = client_for(county["discipline"]).get(f"/screening/runs/{run.pk}/?rule=overcharge").content.decode()
    assert over.person.id_number not in page
    assert over.person.id_number[:4] in page and "图**3" in page
    assert AccessLog.objects.filter(object_type="screening.hit", action="list").exists()
    detail = client_for(county["discipline"]).get(f"/screening/hits/{over.pk}/").content.decode()
    assert "¥50.00" in detail or "50.00" in detail


def test_the_api_runs_pushes_answers_files_samples_and_refers(county: dict[str, Any]) -> None:
    tax = client_for(county["tax"])
    run = tax.post("/api/screening/runs", {"campaign": 2027}, content_type="application/json")
    assert run.status_code == 201
    run_id = run.json()["id"]
    assert run.json()["counts"]["card_many_households"] == 1
    pushed = tax.post(f"/api/screening/runs/{run_id}/push")
    assert pushed.status_code == 200 and len(pushed.json()) == 2
    assert tax.post(f"/api/screening/runs/{run_id}/push").status_code == 409
    town = client_for(county["specialist_a"])
    check = next(c for c in town.get("/api/screening/selfchecks").json())
    assert check["township_code"] == "653123100"
    for hit in Hit.objects.filter(township_code="653123100"):
        r = town.post(
            f"/api/screening/selfchecks/{check['id']}/answers",
            {"hit": hit.pk, "finding": "confirmed", "evidence": "已核实"},
            content_type="application/json",
        )
        assert r.status_code == 200
    filed = town.post(
        f"/api/screening/selfchecks/{check['id']}/file", {"report": "已自查"}, content_type="application/json"
    )
    assert filed.status_code == 200 and filed.json()["filed_at"]
    sample = tax.post("/api/screening/samples", {"run": run_id, "size": 3, "seed": 42}, content_type="application/json")
    assert sample.status_code == 201 and sample.json()["seed"] == 42
    hit_id = Hit.objects.filter(township_code="653123100").first().pk  # type: ignore[union-attr]
    referral = client_for(county["discipline"]).post(
        "/api/screening/referrals", {"hit": hit_id}, content_type="application/json"
    )
    assert referral.status_code == 201 and referral.json()["trail"]["township_answer"]["finding"] == "confirmed"
    assert client_for(county["discipline"]).get("/api/screening/referrals").json()[0]["hit"] == hit_id


def test_the_api_answers_garbage_with_4xx(county: dict[str, Any]) -> None:
    tax = client_for(county["tax"])
    assert tax.get("/api/screening/runs/99999999999999999999999/hits").status_code == 404
    assert tax.post("/api/screening/runs/abc/push").status_code == 404
    assert tax.post("/api/screening/runs", {"campaign": 2031}, content_type="application/json").status_code == 404
    assert (
        tax.patch(
            "/api/screening/rules/overcharge", {"thresholds": {"nope": 1}}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client_for(county["medical"])
        .patch("/api/screening/rules/overcharge", {"enabled": False}, content_type="application/json")
        .status_code
        == 403
    )
    assert tax.post("/api/screening/referrals", {"hit": 2**62}, content_type="application/json").status_code == 404


def test_tax_edits_a_threshold_on_the_rules_page(county: dict[str, Any]) -> None:
    tax = client_for(county["tax"])
    r = tax.post("/screening/rules/", {"code": "card_many_households", "enabled": "on", "th_min_households": "20"})
    assert r.status_code == 302
    page = tax.get("/screening/rules/").content.decode()
    assert 'value="20"' in page
    assert client_for(county["audit"]).get("/screening/rules/").status_code == 200


def test_the_command_runs_pushes_and_samples(county: dict[str, Any], capsys: Any) -> None:
    with pytest.raises(CommandError):
        call_command("screening", "run", "--campaign", "2027", "--as", "town_a")
    call_command("screening", "run", "--campaign", "2027", "--json")
    out = orjson.loads(capsys.readouterr().out)
    assert out["counts"]["cash_not_paid_in"] == 1
    call_command("screening", "push", "--run", str(out["run"]), "--json")
    pushed = orjson.loads(capsys.readouterr().out)
    assert {p["township"] for p in pushed} == {"653123100", "653123200"}
    call_command(
        "screening",
        "sample",
        "--run",
        str(out["run"]),
        "--size",
        "2",
        "--seed",
        "9",
        "--as",
        county["tax"].username,
        "--json",
    )
    drawn = orjson.loads(capsys.readouterr().out)
    assert drawn["hits"] == Sample.objects.get().hit_ids and drawn["seed"] == 9
    call_command("screening", "rules", "--json")
    assert len(orjson.loads(capsys.readouterr().out)) == 12
    assert Referral.objects.count() == 0


def test_the_group_draws_on_the_page_records_a_disagreeing_finding_and_discipline_sees_the_leader(
    county: dict[str, Any],
) -> None:
    run = services.screening_run(actor=county["tax"], year=2027)
    services.run_push(actor=county["tax"], run_id=run.pk)
    check = SelfCheck.objects.get(township_code="653123100")
    for a in check.answers.all():
        services.answer_record(
            actor=county["specialist_a"], selfcheck_id=check.pk, hit_id=a.hit_id, finding="false_alarm", evidence="误报"
        )
    tax = client_for(county["tax"])
    drawn = tax.post(f"/screening/runs/{run.pk}/sample/", {"size": "10", "seed": "2026"})
    sample = Sample.objects.get()
    assert drawn.status_code == 302 and drawn["Location"].endswith(f"/screening/samples/{sample.pk}/")
    assert sample.seed == 2026
    assert 'class="seed-value">2026<' in tax.get(f"/screening/samples/{sample.pk}/").content.decode()
    kept = Hit.objects.get(rule__code="cash_not_paid_in")
    tax.post(f"/screening/samples/{sample.pk}/", {"hit": str(kept.pk), "finding": "confirmed", "note": "现金未缴"})
    check.refresh_from_db()
    assert check.perfunctory
    discipline = client_for(county["discipline"])
    discipline.post("/screening/referrals/", {"hit": str(kept.pk)})
    page = discipline.get("/screening/referrals/").content.decode()
    assert str(county["leader_a"]) in page and "现金未缴" in page
    assert client_for(county["specialist_a"]).get("/screening/referrals/").status_code == 404
