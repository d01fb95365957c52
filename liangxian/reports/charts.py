"""The charts' data (ECharts): amounts as exact yuan text, turned into numbers only by the script that draws."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from liangxian.campaigns.models import InsuranceType

from .selectors import Summary, labels_of
from .selectors_accounts import AccountsReport


def yuan_text(fen: int) -> str:
    """Yuan as exact text for the charts ("1234.50"): the script turns it into a number only to draw."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def summary_chart(report: Summary) -> dict[str, Any]:
    """The overview's charts: the monthly trend per insurance, receipts by channel and by township (yuan text)."""
    labels = labels_of(InsuranceType.choices)
    months = sorted({m.month for m in report.months})
    by_month = {(m.insurance, m.month): m.net_fen for m in report.months}
    channel_codes = sorted({c.channel for c in report.channels})
    channel_names = {c.channel: c.label for c in report.channels}
    by_channel = {(c.insurance, c.channel): c.net_fen for c in report.channels}
    town_codes = sorted({t.code for t in report.townships})
    town_names = {t.code: t.name for t in report.townships}
    by_town = {(t.insurance, t.code): t.net_fen for t in report.townships}
    return {
        "insurances": [labels[i] for i in InsuranceType.values],
        "months": months,
        "month_net": [[yuan_text(by_month.get((i, m), 0)) for m in months] for i in InsuranceType.values],
        "channels": [channel_names[c] for c in channel_codes],
        "channel_net": [[yuan_text(by_channel.get((i, c), 0)) for c in channel_codes] for i in InsuranceType.values],
        "townships": [town_names[c] for c in town_codes],
        "township_net": [[yuan_text(by_town.get((i, c), 0)) for c in town_codes] for i in InsuranceType.values],
    }


def accounts_chart(report: AccountsReport) -> dict[str, Any]:
    """The accounts' flows as a Sankey diagram: receipts → income account → fiscal special → expenditure."""
    receipts = _("Receipts collected")
    budget = _("Finance (budget)")
    edges: dict[tuple[str, str], int] = {}

    def add(source: str, target: str, fen: int) -> None:
        if fen > 0:
            edges[(source, target)] = edges.get((source, target), 0) + fen

    for acc in report.insurances:  # two insurances: a handful of edges
        income, fiscal, spend = (f"{acc.label} · {line.label}" for line in acc.lines)
        add(receipts, income, acc.income.receipts_fen)
        add(income, fiscal, acc.to_fiscal_fen)
        add(budget, fiscal, sum(acc.budget_by_flow.values()))
        add(fiscal, spend, acc.fiscal.out_fen)
    nodes = list(dict.fromkeys(name for edge in edges for name in edge))
    links = [{"source": s, "target": t, "value": yuan_text(fen)} for (s, t), fen in edges.items()]
    return {"nodes": [{"name": n} for n in nodes], "links": links}
