"""The printable due-list (应缴费人员台账, Art 27): one section per village, Chinese, IDs masked, pages numbered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone

from liangxian.core import idnumbers
from liangxian.core.models import AccessAction, Division

from .duelists import (
    LINE_FIELDS,
    DueFilters,
    DueScope,
    category_labels,
    check_pushed,
    due_entries,
    line_shown,
    log_due_access,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.campaigns.models import Campaign


@dataclass(frozen=True)
class PrintedLine:
    number: int
    name: str
    id_number: str
    sex: str
    insurance: str
    own: str
    category: str
    cash_only: str


@dataclass(frozen=True)
class PrintedVillage:
    code: str
    name: str
    lines: Sequence[PrintedLine]


def duelist_pdf(
    *,
    scope: DueScope,
    campaign: Campaign,
    township_code: str,
    filters: DueFilters | None = None,
    printed_by: str,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> bytes:
    """Render a township's due-list (or one village's) as PDF, each village on its own pages; log the export.

    ID numbers are always masked on paper: the printed list goes round the village, not only to the clerk.
    """
    f = filters or DueFilters()
    check_pushed(scope, campaign, township_code)
    if scope.township_code and scope.township_code != township_code:
        township_code = scope.township_code
    entries = due_entries(
        scope=scope,
        campaign=campaign,
        filters=DueFilters(
            village=f.village,
            insurance=f.insurance,
            category=f.category,
            cash_only=f.cash_only,
            q=f.q,
            township=township_code,
        ),
    ).filter(township_code=township_code)
    rows = entries.values_list("village_code", *LINE_FIELDS)
    names = dict(Division.objects.filter(code__startswith=township_code).values_list("code", "name"))
    labels = category_labels(campaign.pk)
    villages: dict[str, list[PrintedLine]] = {}
    for village, name, number, sex, insurance, own, category, cash in rows.iterator(chunk_size=5000):
        lines = villages.setdefault(village, [])
        sex_shown, insurance_shown, own_shown, category_shown, cash_shown = line_shown(
            labels, sex, insurance, own, category, cash
        )
        lines.append(
            PrintedLine(
                number=len(lines) + 1,
                name=name,
                id_number=idnumbers.mask(number),
                sex=sex_shown,
                insurance=insurance_shown,
                own=own_shown,
                category=category_shown,
                cash_only=cash_shown,
            )
        )
    count = sum(len(v) for v in villages.values())
    log_due_access(
        scope,
        action=AccessAction.EXPORT,
        count=count,
        query=f"pdf {campaign.coverage_year} township={township_code} {f.describe()}".strip(),
        request=request,
        channel=channel,
    )
    now = timezone.localtime()
    html = render_to_string(
        "roster/due/duelist_pdf.html",
        {
            "campaign": campaign,
            "township_name": names.get(township_code, township_code),
            "villages": [PrintedVillage(code=c, name=names.get(c, c), lines=v) for c, v in sorted(villages.items())],
            "count": count,
            "printed_by": printed_by,
            "unit": scope.actor.unit_code,
            "printed_at": now.strftime("%Y-%m-%d %H:%M"),
            "date": now.strftime("%Y年%m月%d日"),
        },
    )
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
