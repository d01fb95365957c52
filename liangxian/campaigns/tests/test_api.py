"""The campaign API: read by anyone signed in, parts edited by tax, medical insurance and social security."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from liangxian.campaigns.models import Campaign, ContributionTier
from liangxian.registry.tests import factories as f
from liangxian.web.api_auth import api_token_issue

BASE = "/api/campaigns"


@pytest.fixture
def tokens(county: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {}
    for who in ("tax", "civil", "township"):
        user = county[who]
        _, secret = api_token_issue(actor=county["admin"], unit=user.unit, user=user, name=f"{who} system")
        out[who] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    return out


def _put(client: Client, url: str, body: Any, headers: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json", **headers)


def test_list_and_detail(campaign: Campaign, tokens: dict[str, Any]) -> None:
    client = Client()
    listing = client.get(f"{BASE}/", **tokens["civil"]).json()
    assert listing[0]["coverage_year"] == 2027 and listing[0]["period_start"] == "2026-10-08"
    detail = client.get(f"{BASE}/2027", **tokens["civil"]).json()
    assert detail["tiers"]["medical"] == [{"amount": "400.00", "subsidy": "700.00", "default": True, "region": False}]
    assert detail["eligibility"]["pension"]["max_age"] == 60
    assert client.get(f"{BASE}/1999", **tokens["civil"]).status_code == 404
    assert client.get(f"{BASE}/2027").status_code == 401


def test_tax_sets_tiers_and_civil_is_refused(campaign: Campaign, tokens: dict[str, Any]) -> None:
    client = Client()
    body = {"tiers": [{"amount": "420", "subsidy": "720", "default": True}], "reason": "新标准"}
    refused = _put(client, f"{BASE}/2027/tiers/medical", body, tokens["civil"])
    assert refused.status_code == 403
    ok = _put(client, f"{BASE}/2027/tiers/medical", body, tokens["tax"])
    assert ok.status_code == 200, ok.content
    assert ok.json()["revision"] == 2
    assert ContributionTier.objects.get(campaign=campaign, insurance="medical").amount_fen == 42000
    bad = _put(client, f"{BASE}/2027/tiers/pension", {"tiers": [{"amount": "0", "default": True}]}, tokens["tax"])
    assert bad.status_code == 400


def test_patch_period_and_revisions(campaign: Campaign, tokens: dict[str, Any]) -> None:
    client = Client()
    bad = client.patch(
        f"{BASE}/2027", json.dumps({"period_end": "2026-09-01"}), content_type="application/json", **tokens["tax"]
    )
    assert bad.status_code == 400 and bad.json()["code"] == "period_order"
    ok = client.patch(
        f"{BASE}/2027", json.dumps({"status": "active"}), content_type="application/json", **tokens["tax"]
    )
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    revisions = client.get(f"{BASE}/2027/revisions", **tokens["civil"]).json()
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["changed"][0]["key"] == "status"


def test_daijiao_eligibility_and_targets(campaign: Campaign, tokens: dict[str, Any]) -> None:
    client = Client()
    rules_body = {"rules": [{"category": "orphan", "label": "孤儿", "insurance": "pension", "mode": "full"}]}
    assert _put(client, f"{BASE}/2027/daijiao", rules_body, tokens["tax"]).json()["daijiao"][0]["category"] == "orphan"
    too_much = {"rules": [{"category": "x", "insurance": "pension", "mode": "fixed", "amount": "150"}]}
    assert _put(client, f"{BASE}/2027/daijiao", too_much, tokens["tax"]).status_code == 400
    elig = _put(client, f"{BASE}/2027/eligibility/pension", {"min_age": 16, "max_age": 60}, tokens["tax"])
    assert elig.status_code == 200
    targets = {
        "targets": [
            {"division": f.VILLAGE_A1, "insurance": "medical", "target": 50},
            {"division": f.VILLAGE_B1, "insurance": "medical", "target": 70},
        ]
    }
    assert _put(client, f"{BASE}/2027/targets", targets, tokens["tax"]).status_code == 200
    # a township reads only its own targets
    seen = client.get(f"{BASE}/2027", **tokens["township"]).json()["targets"]
    assert [t["division"] for t in seen] == [f.VILLAGE_A1]


def test_create_by_api(county: dict[str, Any], tokens: dict[str, Any]) -> None:
    body = {"coverage_year": 2028, "collection_year": 2027, "period_start": "2027-10-08", "period_end": "2027-12-31"}
    r = Client().post(f"{BASE}/", json.dumps(body), content_type="application/json", **tokens["tax"])
    assert r.status_code == 201 and r.json()["coverage_year"] == 2028
