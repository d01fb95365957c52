"""The exchange API: kinds, template, submitting with a token, rows, errors and approval."""
# ruff: noqa: F811 -- the shared fixtures come from test_services and are used as parameters

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liangxian.web.api_auth import api_token_issue

from .test_services import DISABLED_HEADER, PDF, county, csv_bytes, disabled_row  # noqa: F401

pytestmark = pytest.mark.django_db
BASE = "/api/exchange"


@pytest.fixture
def api(county: dict[str, Any], settings: Any) -> dict[str, Any]:
    from liangxian.registry.tests import factories as f

    admin = f.user(None, "sysadmin", is_superuser=True)
    out: dict[str, Any] = {}
    for who in ("disabled", "disabled_leader", "publicity", "medical"):
        user = county[who]
        _, secret = api_token_issue(actor=admin, unit=user.unit, user=user, name=f"{who} system")
        out[who] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    return out


def _mounted() -> bool:
    from config.api import api as ninja

    return any(prefix.strip("/") == "exchange" for prefix, _ in ninja._routers)


def test_submit_by_token_then_read_rows_errors_and_approve(api: dict[str, Any]) -> None:
    if not _mounted():
        pytest.skip("the exchange router is not mounted at /api/exchange yet (the lead mounts it)")
    client = Client()
    kinds = client.get(f"{BASE}/kinds", **api["disabled"]).json()
    assert any(k["code"] == "disabled_persons_federation.certified" for k in kinds)
    template = client.get(f"{BASE}/kinds/education.students/template.xlsx", **api["disabled"])
    assert template.status_code == 200 and template.content[:2] == b"PK"

    body = csv_bytes(DISABLED_HEADER, [disabled_row(1, "王芳"), disabled_row(1, "王芳")])
    upload = SimpleUploadedFile("名单.csv", body, content_type="text/csv")
    created = client.post(
        f"{BASE}/submissions", {"kind": "disabled_persons_federation.certified", "file": upload}, **api["disabled"]
    )
    assert created.status_code == 201, created.content
    sub = created.json()
    assert (sub["rows"], sub["accepted"], sub["rejected"], sub["method"]) == (2, 1, 1, "api")

    again = client.post(
        f"{BASE}/submissions",
        {"kind": "disabled_persons_federation.certified", "file": SimpleUploadedFile("b.csv", body)},
        **api["disabled"],
    )
    assert again.status_code == 409 and again.json()["existing_id"] == sub["id"]

    rejected = client.get(f"{BASE}/submissions/{sub['id']}/rows?outcome=rejected", **api["medical"]).json()
    assert [r["reasons"] for r in rejected["items"]] == ["同一文件内重复"]
    assert client.get(f"{BASE}/submissions/{sub['id']}", **api["publicity"]).status_code == 404
    errors = client.get(f"{BASE}/submissions/{sub['id']}/errors.xlsx", **api["disabled"])
    assert errors.status_code == 200 and errors.content[:2] == b"PK"

    early = client.post(
        f"{BASE}/submissions/{sub['id']}/approvals",
        {"stage": "leader_sign", "scan": SimpleUploadedFile("s.pdf", PDF)},
        **api["disabled_leader"],
    )
    assert early.status_code == 400 and early.json()["code"] == "stage_out_of_order"


def test_unreadable_file_is_refused_with_a_reason(api: dict[str, Any]) -> None:
    if not _mounted():
        pytest.skip("the exchange router is not mounted at /api/exchange yet (the lead mounts it)")
    response = Client().post(
        f"{BASE}/submissions",
        {"kind": "disabled_persons_federation.certified", "file": SimpleUploadedFile("x.csv", b"\x00\x01\x02")},
        **api["disabled"],
    )
    assert response.status_code == 400 and response.json()["detail"]
