"""Every read of entitlements and the white list, scoped to the reader's duty (Art 21, 37).

- The medical insurance bureau sees the medical white list, social security the pension one, with full ID numbers:
  their duty is to honour the benefits.
- Tax and the county's leaders see both, ID numbers masked.
- Nobody else sees the white list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from liangxian.collection.models import Payment
from liangxian.core.idnumbers import mask
from liangxian.core.models import Division
from liangxian.org.models import Role

from .models import (
    INSURANCE_OF_BUREAU,
    Bureau,
    Cause,
    Entitlement,
    EntitlementImport,
    EntryStatus,
    WhitelistEntry,
)
from .services import department_of

if TYPE_CHECKING:
    from liangxian.org.models import User

OBJECT_TYPE = "entitlements.whitelistentry"


@dataclass(frozen=True)
class Viewer:
    """What a user may see of the white list: which insurance types, and whether ID numbers in full."""

    insurances: tuple[str, ...]
    full_ids: bool
    bureau: str  # the user's own bureau, "" for none
    duty: str

    def shown_id(self, id_number: str) -> str:
        return id_number if self.full_ids else mask(id_number)


def viewer_of(user: User | None) -> Viewer | None:
    """Say what the user may see of the white list, or None when it is not within his unit's duty."""
    if user is None or not user.is_authenticated:
        return None
    department = department_of(user)
    if department in Bureau.values:
        insurance = str(INSURANCE_OF_BUREAU[Bureau(department)])
        return Viewer(insurances=(insurance,), full_ids=True, bureau=department, duty="entitlement_whitelist")
    both = ("medical", "pension")
    if user.is_superuser or department == "tax":
        return Viewer(insurances=both, full_ids=False, bureau="", duty="entitlement_reconciliation")
    unit = user.unit
    if unit is not None and unit.kind == "department" and user.role == Role.LEADER:
        return Viewer(insurances=both, full_ids=False, bureau="", duty="supervision")
    return None


def whitelist_entries(
    viewer: Viewer,
    *,
    insurance: str = "",
    year: int | None = None,
    cause: str = "",
    status: str = EntryStatus.LISTED,
    township: str = "",
    q: str = "",
) -> QuerySet[WhitelistEntry]:
    """Return the white list entries the viewer may see, filtered like the page and the API."""
    qs = WhitelistEntry.objects.filter(insurance__in=viewer.insurances)
    if insurance:
        qs = qs.filter(insurance=insurance)
    if year:
        qs = qs.filter(coverage_year=year)
    if cause:
        qs = qs.filter(cause=cause)
    if status and status != "all":
        qs = qs.filter(status=status)
    if township:
        qs = qs.filter(township_code=township)
    q = q.strip()
    if q:
        # A masked viewer may look up by the whole ID number, never by a part of it.
        qs = qs.filter(Q(name__contains=q) | Q(id_number=q.upper())) if len(q) >= 2 else qs.none()
    return qs.select_related("resolved_by").order_by("insurance", "coverage_year", "township_code", "id_number")


def cause_counts(qs: QuerySet[WhitelistEntry]) -> list[dict[str, Any]]:
    """Count the entries by cause, with the net paid in fen."""
    found: dict[str, tuple[int, int]] = {
        r["cause"]: (int(r["n"]), int(r["fen"] or 0))
        for r in qs.order_by().values("cause").annotate(n=Count("id"), fen=Sum("net_paid_fen"))
    }
    out: list[dict[str, Any]] = []
    for value, label in Cause.choices:
        count, fen = found.get(value, (0, 0))
        out.append({"cause": value, "label": label, "count": count, "fen": fen})
    return out


def years_on_list(viewer: Viewer) -> list[int]:
    return sorted(
        set(WhitelistEntry.objects.filter(insurance__in=viewer.insurances).values_list("coverage_year", flat=True)),
        reverse=True,
    )


def townships() -> list[Division]:
    return list(Division.objects.filter(level="township").order_by("code"))


def township_names(codes: set[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


def entry_visible(viewer: Viewer, pk: int) -> WhitelistEntry | None:
    return WhitelistEntry.objects.filter(pk=pk, insurance__in=viewer.insurances).select_related("resolved_by").first()


def person_line(entry: WhitelistEntry) -> dict[str, Any]:
    """Return a listed person's payments, entitlements and white-list history for this insurance."""
    payments = list(
        Payment.objects.filter(id_number=entry.id_number, insurance=entry.insurance).order_by("paid_at", "pk")
    )
    entitlements = list(
        Entitlement.objects.filter(id_number=entry.id_number, insurance=entry.insurance)
        .select_related("source")
        .order_by("-coverage_year")
    )
    history = list(
        WhitelistEntry.objects.filter(id_number=entry.id_number, insurance=entry.insurance)
        .exclude(pk=entry.pk)
        .order_by("-listed_at")
    )
    latest = (
        Entitlement.objects.filter(insurance=entry.insurance)
        .order_by("-record_date")
        .values_list("record_date", flat=True)
        .first()
    )
    return {"payments": payments, "entitlements": entitlements, "history": history, "latest_record_date": latest}


def imports_visible(user: User) -> QuerySet[EntitlementImport]:
    """A bureau sees its own imports; tax and superusers see all; nobody else any."""
    qs = EntitlementImport.objects.select_related("imported_by")
    department = department_of(user)
    if department in Bureau.values:
        return qs.filter(bureau=department)
    if user.is_superuser or department == "tax":
        return qs
    return qs.none()
