"""The printable public notice of a village's handlers, in Chinese and Uyghur on one page (Art 31)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from . import selectors
from .models import Unit

NOTICE_CSS = Path(__file__).parent / "static" / "org" / "notice.css"


def notice_context(*, village: Unit) -> dict[str, Any]:
    """Gather what the notice shows: the village, its township, its handlers and the date."""
    township = village.parent
    return {
        "village": village,
        "township": township,
        "handlers": list(selectors.handlers_for(village=village)),
        "date": timezone.localdate(),
    }


def handler_notice_pdf(*, village: Unit) -> bytes:
    """Render the village's handler notice as PDF with the fonts embedded."""
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    html = render_to_string(
        "org/handler_notice_pdf.html",
        {**notice_context(village=village), "notice_css": NOTICE_CSS.read_text(encoding="utf-8")},
    )
    return HTML(string=html, base_url=str(NOTICE_CSS.parent)).write_pdf()
