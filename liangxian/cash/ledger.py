"""The cash ledger (现金征缴登记台账, Art 29): one collector's day, printed for the payers', the collector's and the
village head's signatures and fingerprints, with the day's total; Chinese with Uyghur header lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core import idnumbers
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor
from liangxian.org.models import Role
from liangxian.roster.duelists import INSURANCE_LABELS_ZH

from .models import CashDay, CashReceipt
from .services import CashError, day_totals, may_oversee

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.org.models import User

# The command line prints as the system: no user, the scheduler's duty.
SYSTEM_ACTOR = Actor(user_id=None, unit_code="", unit_kind="", department="", role="system", division_code="")


@dataclass(frozen=True)
class LedgerLine:
    number: int
    name: str
    id_number: str
    insurance: str
    amount: str
    received_at: str
    off_list: bool
    paid_in: bool


def _township(collector: User, day: date) -> str:
    found = CashDay.objects.filter(collector=collector, day=day).values_list("township_code", flat=True).first()
    if found:
        return found
    unit = collector.unit
    return str(unit.division_id)[:9] if unit and unit.division_id else ""


def cash_ledger_pdf(
    *, viewer: User | None, collector: User, day: date, request: HttpRequest | None = None, channel: str = "web"
) -> bytes:
    """Render a collector's cash ledger of one day as PDF for signing; the export is access-logged.

    The collector prints his own; the township its collectors'; tax any. ID numbers are masked unless the reader's
    duty needs the whole number: the sheet goes round the village for signatures.
    """
    township = _township(collector, day)
    if collector.role != Role.COLLECTOR or (
        viewer is not None and viewer.pk != collector.pk and not may_oversee(viewer, township)
    ):
        raise CashError("no_day", _("No such collector's day within your unit's duty."))
    actor = Actor.of(viewer) if viewer is not None else SYSTEM_ACTOR
    receipts = list(
        CashReceipt.objects.filter(collector=collector, business_date=day)
        .select_related("person")
        .order_by("received_at", "pk")
    )
    lines = [
        LedgerLine(
            number=i,
            name=r.person.name,
            id_number=r.person.id_number if actor.sees_full_id else idnumbers.mask(r.person.id_number),
            insurance=INSURANCE_LABELS_ZH.get(r.insurance, r.insurance),
            amount=format_yuan(from_fen(r.amount_fen), style="suffix"),
            received_at=timezone.localtime(r.received_at).strftime("%H:%M"),
            off_list=r.off_list,
            paid_in=r.payment_id is not None,
        )
        for i, r in enumerate(receipts, start=1)
    ]
    totals = day_totals(collector.pk, day)
    access_log(
        actor=actor,
        action=AccessAction.EXPORT,
        object_type="cash.ledger",
        object_ids=[r.person_id for r in receipts],
        duty=actor.resident_duty or "cash_ledger",
        query=f"ledger collector={collector.pk} day={day.isoformat()}",
        request=request,
        channel=channel,
    )
    village_code = receipts[0].village_code if receipts else (str(collector.unit.division_id) if collector.unit else "")
    names = dict(Division.objects.filter(code__in=[township, village_code]).values_list("code", "name"))
    now = timezone.localtime()
    html = render_to_string(
        "cash/ledger_pdf.html",
        {
            "lines": lines,
            "collector": collector.full_name or collector.get_username(),
            "township_name": names.get(township, township),
            "village_name": names.get(village_code, village_code),
            "day": day.strftime("%Y年%m月%d日"),
            "total": format_yuan(from_fen(totals.received_fen), style="suffix"),
            "paid_in": format_yuan(from_fen(totals.paid_in_fen), style="suffix"),
            "open": format_yuan(from_fen(totals.open_fen), style="suffix"),
            "count": totals.receipts,
            "printed_at": now.strftime("%Y-%m-%d %H:%M"),
            "printed_by": str(viewer) if viewer is not None else "system",
        },
    )
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
