"""The public notices as printed (Art 42): the county notice of a campaign, and a village's list of who has paid.

Each prints in one language, Chinese (``zh``) or Uyghur (``ug``, right to left): the headings and notes go
through the catalogue of that language; names stay as recorded. WeasyPrint embeds the fonts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from liangxian.campaigns.models import Campaign, InsuranceType
from liangxian.collection.models import Channel
from liangxian.core.models import Division
from liangxian.core.money import format_yuan, from_fen
from liangxian.org.models import Unit, UnitKind

from .models import CountyNotice
from .selectors import PaidRow, village_unit

NOTICE_CSS = Path(__file__).parent / "static" / "outreach" / "notice.css"
LANGS = {"zh": "zh-hans", "ug": "ug"}

INSURANCE_LABELS = {
    InsuranceType.MEDICAL: _("Residents' basic medical insurance"),
    InsuranceType.PENSION: _("Residents' basic pension insurance"),
}
HOW_TO_PAY = {
    Channel.WECHAT: _("WeChat: search for the tax bureau's social insurance mini-program and pay by ID number."),
    Channel.HALL: _("Tax service hall: pay at the counter of the county tax service hall."),
    Channel.ETAX: _("Electronic tax bureau: pay online or in the electronic tax bureau app."),
    Channel.SICLIENT: _("Social insurance client: pay in the social insurance fee client."),
    Channel.BANK: _("Bank: sign a debit agreement at a cooperating bank and the amount is debited."),
    Channel.POS: _("POS terminal: pay by bank card at the township or village POS terminal."),
    Channel.GOV: _("Government payment: the government pays for those it covers; they need do nothing."),
}


def lang_code(lang: str) -> str:
    """The Django language of a notice language (``zh`` or ``ug``); anything else is refused."""
    if lang not in LANGS:
        raise ValueError(lang)
    return LANGS[lang]


def _tax_unit() -> Unit | None:
    return Unit.objects.filter(kind=UnitKind.DEPARTMENT, department="tax").order_by("code").first()


def _unit_name(unit: Unit | None, lang: str, default: str = "") -> str:
    if unit is None:
        return default
    return (unit.name_ug or unit.name) if lang == "ug" else unit.name


def county_notice_context(notice: CountyNotice, lang: str) -> dict[str, Any]:
    """What the county notice says: the period, the amounts per tier, the ways to pay, the complaint phone."""
    campaign: Campaign = notice.campaign
    tiers: dict[str, list[dict[str, str]]] = {}
    for t in campaign.tiers.all().order_by("insurance", "amount_fen"):
        tiers.setdefault(t.insurance, []).append(
            {
                "amount": format_yuan(from_fen(int(t.amount_fen))),
                "subsidy": format_yuan(from_fen(int(t.subsidy_fen))) if t.subsidy_fen else "",
            }
        )
    tax = _tax_unit()
    return {
        "lang": lang,
        "dir": "rtl" if lang == "ug" else "ltr",
        "notice": notice,
        "campaign": campaign,
        "tiers": [
            {"insurance": k, "label": INSURANCE_LABELS.get(k, k), "tiers": v}  # type: ignore[call-overload]
            for k, v in sorted(tiers.items())
        ],
        "ways": [HOW_TO_PAY[c] for c in notice.channels if c in HOW_TO_PAY],
        "note": (notice.note_ug or notice.note) if lang == "ug" else notice.note,
        "issuer": _unit_name(tax, lang),
        "date": timezone.localdate(notice.published_at) if notice.published_at else None,
    }


def paid_list_context(
    *, campaign: Campaign, village: Division, rows: list[PaidRow], lang: str, printed_by: str, phone: str = ""
) -> dict[str, Any]:
    """What a village's paid list shows: the village, the masked rows, the count and who printed it."""
    unit = village_unit(village.code)
    township = unit.parent if unit is not None else None
    return {
        "lang": lang,
        "dir": "rtl" if lang == "ug" else "ltr",
        "campaign": campaign,
        "village_name": _unit_name(unit, lang, village.name),
        "township_name": _unit_name(township, lang, village.parent.name if village.parent else ""),
        "rows": [
            {"r": r, "insurances": [INSURANCE_LABELS.get(i, i) for i in r.insurances]}  # type: ignore[call-overload]
            for r in rows
        ],
        "count": len(rows),
        "phone": phone,
        "printed_by": printed_by,
        "date": timezone.localdate(),
    }


def _pdf(template: str, context: dict[str, Any], lang: str) -> bytes:
    with translation.override(lang_code(lang)):
        html = render_to_string(template, {**context, "notice_css": NOTICE_CSS.read_text(encoding="utf-8")})
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=str(NOTICE_CSS.parent)).write_pdf())


def county_notice_pdf(notice: CountyNotice, lang: str) -> bytes:
    """Render the county notice as an A4 PDF in one language."""
    return _pdf("outreach/county_notice_pdf.html", county_notice_context(notice, lang), lang)


def paid_list_pdf(**kwargs: Any) -> bytes:
    """Render a village's paid list as an A4 PDF in one language (``paid_list_context``'s arguments)."""
    context = paid_list_context(**kwargs)
    return _pdf("outreach/paid_list_pdf.html", context, context["lang"])


def county_notice_html(notice: CountyNotice, lang: str) -> str:
    """The notice's body as HTML in one language, for the page that previews it."""
    with translation.override(lang_code(lang)):
        return render_to_string("outreach/_county_notice_body.html", county_notice_context(notice, lang))
