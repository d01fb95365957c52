"""The public proof check as JSON: ``GET /api/portal/proofs/{token}``, no credential needed (SPEC 10)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from . import selectors

router = Router(tags=["portal"])


class PortalProofCheckOut(Schema):
    genuine: bool
    number: str
    name: str
    insurance: str
    insurance_label: str
    coverage_year: int
    amount: str
    paid_on: date
    channel: str
    channel_label: str
    refunded: bool


class PortalErrorOut(Schema):
    code: str
    detail: str


@router.get("/proofs/{token}", response={200: PortalProofCheckOut, 404: PortalErrorOut}, auth=None)
def proof_check(request: HttpRequest, token: str) -> PortalProofCheckOut:
    """Check a proof of payment by its QR token: the same minimal facts as the public check page."""
    found = selectors.proof_check(token)
    if found is None:
        raise HttpError(404, "No proof of payment has this check code.")
    return PortalProofCheckOut(
        genuine=True,
        number=found.number,
        name=found.name_masked,
        insurance=found.insurance,
        insurance_label=found.insurance_label,
        coverage_year=found.coverage_year,
        amount=f"{found.amount:.2f}",
        paid_on=found.paid_on,
        channel=found.channel,
        channel_label=found.channel_label,
        refunded=found.refunded,
    )
