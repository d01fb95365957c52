"""The payer's-page fixtures: the due-list county with one paid medical payment and a captcha answer."""

from __future__ import annotations

from typing import Any

from captcha.models import CaptchaStore

from liangxian.collection.services import PaymentIn, payment_record, proof_issue
from liangxian.collection.tests.fixtures import paid_at
from liangxian.roster.tests.due_fixtures import due_county, f

__all__ = ["captcha", "county_paid", "f", "lookup_data"]


def captcha() -> dict[str, str]:
    """Return a fresh captcha's hidden key and its right answer, as the form posts them."""
    key = CaptchaStore.generate_key()
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def county_paid() -> dict[str, Any]:
    """The due-list county, where 阿依古丽 paid her 2027 medical insurance by WeChat and holds its proof."""
    county = due_county()
    aygul = county["people"]["aygul"]
    recorded = payment_record(
        PaymentIn(
            channel="wechat",
            txn_no="4200009999202611020001",
            id_number=aygul.id_number,
            name=aygul.name,
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=paid_at(),
            source="file",
        )
    )
    assert recorded.reason is None, recorded.reason
    county["payment"] = recorded.payment
    county["proof"] = proof_issue(recorded.payment)
    return county


def lookup_data(person: Any, *, secret: str = "0001", name: str | None = None) -> dict[str, str]:  # noqa: S107
    return {"id_number": person.id_number, "name": person.name if name is None else name, "secret": secret, **captcha()}
