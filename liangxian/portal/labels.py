"""The words the payer reads for insurances, channels and kinds of payment, in his language (SPEC 10).

The intranet's labels are written for clerks; these are the portal's own, translated into Uyghur as well.
"""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

INSURANCE: Final[dict[str, Promise]] = {
    "medical": _("Urban and rural residents' medical insurance"),
    "pension": _("Urban and rural residents' pension insurance"),
}
CHANNEL: Final[dict[str, Promise]] = {
    "wechat": _("Paid by the WeChat mini-program"),
    "hall": _("Paid at the tax service hall"),
    "pos": _("Paid by POS card terminal"),
    "etax": _("Paid through the electronic tax bureau"),
    "siclient": _("Paid through the social-insurance client"),
    "bank": _("Paid by bank debit"),
    "gov": _("Paid by the government on your behalf"),
}
KIND: Final[dict[str, Promise]] = {
    "payment": _("Payment received"),
    "reversal": _("Payment reversed"),
    "refund": _("Refund to the payer"),
}


def label(table: dict[str, Promise], value: str) -> str:
    return str(table.get(value, value))
