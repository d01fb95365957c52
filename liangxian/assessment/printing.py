"""The printed assessment (Art 38) and tax's report to the county discipline commission (Art 39): PDF and xlsx.

Both are drawn from a run's stored scores and evidence, so a finalised run prints the same every time; each
figure carries its evidence reference, which a reader looks up at ``/assessment/<year>/evidence/<ref>/``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liangxian.exchange.exports import safe_workbook

from . import selectors
from .models import AssessmentRun, Criterion, SubjectKind

if TYPE_CHECKING:
    from liangxian.org.models import User


def _pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


def table_rows(scores: list[Any], kind: str) -> dict[str, Any]:
    """Shape a kind's scores for a table: the criteria columns in weight order and one row per subject."""
    group = [s for s in scores if s.subject_kind == kind]
    criteria = [c for c in Criterion.values if any(c in s.components for s in group)]
    return {
        "kind": kind,
        "title": str(SubjectKind(kind).label),
        "criteria": [(c, str(Criterion(c).label)) for c in criteria],
        "rows": [{"s": s, "cells": [s.components.get(c) for c in criteria]} for s in group],
    }


def _context(user: User | None, run: AssessmentRun) -> dict[str, Any]:
    scores = selectors.scores_of(user, run)
    return {
        "run": run,
        "year": run.campaign.coverage_year,
        "tables": [table_rows(scores, k) for k in SubjectKind.values],
        "lost": [s for s in scores if s.award_lost],
        "base_url": getattr(settings, "LIANGXIAN_BASE_URL", ""),
        "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "printed_by": str(user) if user is not None else "system",
    }


def report_pdf(user: User | None, run: AssessmentRun) -> bytes:
    """Render the assessment report: rankings, each figure with its evidence reference, award losses."""
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf(render_to_string("assessment/report_pdf.html", _context(user, run)))


def discipline_pdf(user: User | None, run: AssessmentRun) -> bytes:
    """Render tax's report to the county discipline commission of units with inaccurate or refused data (Art 39)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(user, run) | {
            "referrals": selectors.referrals(run),
            "rejected": run.thresholds.get("rejected_rows_pct", ""),
            "days": run.thresholds.get("late_beyond_days", ""),
        }
        return _pdf(render_to_string("assessment/discipline_pdf.html", context))


def report_xlsx(user: User | None, run: AssessmentRun) -> bytes:
    """Write the assessment as a workbook: one sheet per kind of subject, figures with evidence references."""
    buffer = io.BytesIO()
    book = safe_workbook(buffer, in_memory=True)
    with translation.override(settings.LANGUAGE_CODE):
        scores = selectors.scores_of(user, run)
        for kind in SubjectKind.values:
            table = table_rows(scores, kind)
            sheet = book.add_worksheet(table["title"][:31])
            head = [_("Rank"), _("Code"), _("Name"), _("Score")]
            for _c, label in table["criteria"]:
                head += [label, _("Points"), _("Evidence")]
            head += [_("Award eligibility lost"), _("Why")]
            for col, text in enumerate(head):
                sheet.write_string(0, col, text)
            for r, row in enumerate(table["rows"], start=1):
                s = row["s"]
                values: list[Any] = [s.rank, s.subject_code, s.subject_label, float(s.total)]
                for cell in row["cells"]:
                    values += (
                        [
                            f"{cell['shown']} ({cell['numerator']}/{cell['denominator']})",
                            cell["points"],
                            cell["evidence"],
                        ]
                        if cell
                        else ["", "", ""]
                    )
                values += [_("Yes") if s.award_lost else _("No"), "；".join(s.award_reasons)]
                for col, value in enumerate(values):
                    if isinstance(value, (int, float)):
                        sheet.write_number(r, col, value)
                    else:
                        sheet.write_string(r, col, str(value))
    book.close()
    return buffer.getvalue()
