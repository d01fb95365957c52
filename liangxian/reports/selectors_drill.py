"""The payments behind a figure (Art 34): the same selection as the figure, a page at a time, IDs masked, logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import InsuranceType
from liangxian.collection.models import Channel, Payment, PaymentKind
from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessAction

from .rules import Period, PeriodError, month_period
from .selectors import ReportScope, division_names, labels_of, payments_in, period_q

PAGE_SIZE = 50


@dataclass(frozen=True)
class Drill:
    """Which payments stand behind a figure: each field narrows the period's payments; empty means any."""

    insurance: str = ""
    kind: str = ""
    channel: str = ""
    treasury: str = ""  # "yes": entered into the treasury, "no": not yet
    part: str = ""  # "own": the person paid a part, "gov": the government paid a part (代缴)
    paid_month: str = ""  # YYYY-MM
    paid: str = ""  # "yes": only the persons whose net is above nil (the persons-paid figure)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Drill:
        """Read the drill-down from query parameters, dropping any value that is not one of its choices."""

        def pick(name: str, allowed: Any) -> str:
            value = str(data.get(name) or "").strip()
            return value if value in allowed else ""

        month = str(data.get("paid_month") or "").strip()
        try:
            month = month if month and month_period(month) else ""
        except PeriodError:
            month = ""
        return cls(
            insurance=pick("insurance", InsuranceType.values),
            kind=pick("kind", PaymentKind.values),
            channel=pick("channel", Channel.values),
            treasury=pick("treasury", ("yes", "no")),
            part=pick("part", ("own", "gov")),
            paid_month=month,
            paid=pick("paid", ("yes",)),
        )

    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def describe(self) -> list[str]:
        """Say what the drill-down narrows to, in words for the page's heading."""
        words = [
            labels_of(InsuranceType.choices).get(self.insurance, ""),
            labels_of(Channel.choices).get(self.channel, ""),
            labels_of(PaymentKind.choices).get(self.kind, ""),
            {"yes": _("Entered into the treasury"), "no": _("Not yet entered into the treasury")}.get(
                self.treasury, ""
            ),
            {"own": _("Paid by the persons"), "gov": _("Paid by the government (代缴)")}.get(self.part, ""),
            self.paid_month,
            _("Persons paid") if self.paid else "",
        ]
        return [w for w in words if w]

    def apply(self, payments: QuerySet[Payment]) -> QuerySet[Payment]:
        if self.insurance:
            payments = payments.filter(insurance=self.insurance)
        if self.kind:
            payments = payments.filter(kind=self.kind)
        if self.channel:
            payments = payments.filter(channel=self.channel)
        if self.treasury:
            payments = payments.filter(treasury_date__isnull=self.treasury == "no")
        if self.part == "own":
            payments = payments.exclude(amount_fen=0)
        elif self.part == "gov":
            payments = payments.exclude(other_fen=0)
        if self.paid_month:
            payments = payments.filter(period_q(month_period(self.paid_month)))
        if self.paid:
            net = (
                payments.values("insurance", "id_number")
                .annotate(net=Sum("amount_fen") + Sum("other_fen"))
                .filter(net__gt=0)
                .values("id_number")
            )
            payments = payments.filter(id_number__in=net)
        return payments


@dataclass
class PaymentLine:
    id: int
    paid_at: dt.datetime
    channel: str
    txn_no: str
    kind: str
    name: str
    id_number: str  # masked
    insurance: str
    coverage_year: int
    amount_fen: int
    other_fen: int
    township: str
    treasury_date: dt.date | None
    etax_voucher: str
    channel_label: str = ""
    kind_label: str = ""
    insurance_label: str = ""

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.other_fen

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "total_fen": self.total_fen}


@dataclass
class PaymentsBehind:
    page: Page[Any]
    lines: list[PaymentLine]
    total_fen: int
    count: int


LINE_FIELDS = (
    "pk",
    "paid_at",
    "channel",
    "txn_no",
    "kind",
    "name",
    "id_number",
    "insurance",
    "coverage_year",
    "amount_fen",
    "other_fen",
    "township_code",
    "treasury_date",
    "etax_voucher",
    "person_id",
)


def payments_behind(
    *,
    scope: ReportScope,
    period: Period,
    township: str = "",
    drill: Drill,
    page: int | str | None = 1,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> PaymentsBehind:
    """List, a page at a time, the payments behind a figure, ID numbers masked; log the look (Art 20-21)."""
    payments = drill.apply(payments_in(scope, period, township))
    totals = payments.aggregate(n=Count("pk"), own=Coalesce(Sum("amount_fen"), 0), gov=Coalesce(Sum("other_fen"), 0))
    ordered = payments.order_by("paid_at", "pk").values_list(*LINE_FIELDS)
    the_page = Paginator(ordered, PAGE_SIZE, allow_empty_first_page=True).get_page(page)
    rows = list(the_page.object_list)
    names = division_names({r[11] for r in rows})
    channel_labels, kind_labels = labels_of(Channel.choices), labels_of(PaymentKind.choices)
    insurance_labels = labels_of(InsuranceType.choices)
    lines = [
        PaymentLine(
            id=r[0],
            paid_at=timezone.localtime(r[1]),
            channel=r[2],
            txn_no=r[3],
            kind=r[4],
            name=r[5],
            id_number=mask(r[6]),
            insurance=r[7],
            coverage_year=r[8],
            amount_fen=r[9],
            other_fen=r[10],
            township=names.get(r[11], r[11]),
            treasury_date=r[12],
            etax_voucher=r[13],
            channel_label=channel_labels.get(r[2], r[2]),
            kind_label=kind_labels.get(r[4], r[4]),
            insurance_label=insurance_labels.get(r[7], r[7]),
        )
        for r in rows  # one page (50 lines) to show
    ]
    access_log(
        actor=scope.actor,
        action=AccessAction.LIST,
        object_type="collection.payment",
        object_ids=[r[14] or f"payment:{r[0]}" for r in rows],
        duty=scope.duty,
        query=f"payments {period.key} {township} {drill.query()}".strip()[:500],
        request=request,
        channel=channel,
    )
    return PaymentsBehind(
        page=the_page, lines=lines, total_fen=int(totals["own"]) + int(totals["gov"]), count=totals["n"]
    )
