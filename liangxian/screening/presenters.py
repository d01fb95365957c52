"""How screening shows a person: names masked as 张*三, amounts in yuan, evidence in plain words."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from liangxian.core.money import format_yuan, from_fen


def evidence_labels() -> dict[str, str]:
    """The evidence keys in plain words."""
    return {
        "open_receipts": _("Receipts not paid in"),
        "amount_fen": _("Amount"),
        "oldest_received": _("Oldest received"),
        "receipts": _("Receipt numbers"),
        "days_allowed": _("Days allowed"),
        "received_fen": _("Cash received"),
        "off_list_receipts": _("Receipts from payers off the cash list"),
        "due_fen": _("Own part due for the tier"),
        "payin_fen": _("Paid in"),
        "extra_fen": _("Taken in excess"),
        "received": _("Received at"),
        "paid_in": _("Paid in at"),
        "days_held": _("Days held"),
        "period_start": _("Collection period starts"),
        "village_code": _("Village"),
        "refund_requested": _("Refund requested at"),
        "days_after": _("Days after the pay-in"),
        "households": _("Households paid for"),
        "persons": _("Persons paid for"),
        "payments": _("Payments"),
        "terminals": _("POS terminals"),
        "settled": _("Settled at"),
        "reversed": _("Reversed at"),
        "pos_terminal": _("POS terminal"),
        "source": _("Terminal or account"),
        "day": _("Day"),
        "status": _("Registry status"),
        "status_since": _("Status since"),
        "paid": _("Paid at"),
        "what": _("Record"),
        "tier_fen": _("Tier"),
        "key": _("Finding key"),
    }


def evidence_rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """The evidence as (label, value) pairs, money in yuan."""
    labels = evidence_labels()
    rows = []
    for key, value in evidence.items():
        if key == "key":
            continue
        if key.endswith("_fen") and isinstance(value, int):
            shown = format_yuan(from_fen(value))
        elif value is None:
            shown = "—"
        else:
            shown = str(value)
        rows.append((labels.get(key, key), shown))
    return rows
