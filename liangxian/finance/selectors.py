"""Finance's figures per coverage year and insurance type, the checks that they add up, and the drill-down to the
persons and payments behind each figure (paged, ID numbers masked, every look logged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from liangxian.collection.models import EntrySettlement, Payment
from liangxian.core.access import access_log
from liangxian.core.idnumbers import mask
from liangxian.core.models import AccessAction, Division
from liangxian.core.scope import Actor
from liangxian.org.models import User
from liangxian.registry.models import Person

from . import services
from .models import AccountKind, DaijiaoApplication, Flow, FundRequestLine, SubsidyFigure, Transfer

if TYPE_CHECKING:
    from django.http import HttpRequest

PAGE_SIZE = 50
WHATS = ("owed", "not_covered", "gov_paid", "subsidy", "contributions")


def _transferred(year: int, insurance: str, flow: str) -> tuple[int, int]:
    """Recorded transfers of a flow into the insurance's fiscal special account, and those a statement shows."""
    qs = Transfer.objects.filter(
        flow=flow, insurance=insurance, coverage_year=year, to_account__kind=AccountKind.FISCAL
    )
    total = int(qs.aggregate(s=Sum("amount_fen"))["s"] or 0)
    confirmed = int(qs.filter(statement_line__isnull=False).aggregate(s=Sum("amount_fen"))["s"] or 0)
    return total, confirmed


@dataclass
class Check:
    code: str
    label: str
    expected_fen: int
    actual_fen: int
    note: str = ""
    warn_only: bool = False

    @property
    def ok(self) -> bool:
        return self.expected_fen == self.actual_fen

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "expected_fen": self.expected_fen,
            "actual_fen": self.actual_fen,
            "difference_fen": self.actual_fen - self.expected_fen,
            "ok": self.ok,
            "warn_only": self.warn_only,
            "note": self.note,
        }


def overview(year: int, insurance: str) -> dict[str, Any]:
    """Per flow: owed, applied (approved), received, transferred and confirmed by statement; and the checks."""
    services.campaign_of(year)
    whole = services.roster_frame(year)
    roster = whole.filter(pl.col("insurance") == insurance)
    payments = Payment.objects.filter(coverage_year=year, insurance=insurance)
    sums = payments.aggregate(own=Sum("amount_fen"), gov=Sum("other_fen"))
    own_received, gov_received = int(sums["own"] or 0), int(sums["gov"] or 0)
    app = DaijiaoApplication.objects.filter(coverage_year=year, insurance=insurance).first()
    lines = {x.flow: x for x in FundRequestLine.objects.filter(request__coverage_year=year, insurance=insurance)}
    owed_lines = services.daijiao_owed(year, insurance, whole)
    gov_owed = sum(x.owed_fen for x in owed_lines)
    subsidy = services.subsidy_summary(year, insurance, whole)
    figure = SubsidyFigure.objects.filter(coverage_year=year, insurance=insurance).first()

    def applied(flow: str) -> int | None:
        line = lines.get(flow)
        if line is None:
            return None
        return line.approved_fen if line.approved_fen is not None else line.estimated_fen

    flows = []
    for flow, owed, app_fen, received, received_what in (
        (Flow.CONTRIBUTIONS, int(roster.get_column("own_fen").sum() or 0), None, own_received, "contributions"),
        (
            Flow.ON_BEHALF,
            gov_owed,
            (
                app.approved_fen
                if app and app.approved_fen is not None
                else (app.owed_fen if app else applied("on_behalf"))
            ),
            gov_received,
            "gov_paid",
        ),
        (Flow.SUBSIDY, subsidy["amount_fen"], applied("subsidy"), None, ""),
    ):
        transferred, confirmed = _transferred(year, insurance, flow)
        flows.append(
            {
                "flow": flow.value,
                "label": str(flow.label),
                "owed_fen": owed,
                "applied_fen": app_fen,
                "received_fen": received,
                "transferred_fen": transferred,
                "confirmed_fen": confirmed,
                "owed_what": {"contributions": "", "on_behalf": "owed", "subsidy": "subsidy"}[flow.value],
                "received_what": received_what,
            }
        )

    persons, roster_gov = services.roster_gov_total(year, insurance)
    settled = EntrySettlement.objects.filter(entry__campaign__coverage_year=year, entry__insurance=insurance).aggregate(
        own=Sum("own_paid_fen")
    )
    unmatched_own = int(payments.filter(entry__isnull=True).aggregate(s=Sum("amount_fen"))["s"] or 0)
    paid_persons = services.settled_frame(year, insurance).height
    checks = [
        Check(
            "daijiao_owed",
            _("On-behalf payments owed equal the roster's government parts"),
            roster_gov,
            gov_owed,
            _("%(n)s persons on the roster with a government part") % {"n": persons},
        ),
        Check(
            "contributions",
            _("Contributions equal the net collection payments"),
            int(settled["own"] or 0) + unmatched_own,
            own_received,
            _("counted toward the roster's entries plus those not matched to one (%(fen)s fen)")
            % {"fen": unmatched_own},
        ),
        Check(
            "subsidy_persons",
            _("Subsidies follow from the paid persons"),
            paid_persons,
            subsidy["persons"],
            _("persons collection counts as paid, against the persons subsidised (a count, not fen)"),
        ),
    ]
    if figure is not None:
        checks.append(
            Check(
                "subsidy_kept",
                _("The subsidy figure kept equals the one computed now"),
                subsidy["amount_fen"],
                figure.amount_fen,
                _("computed at %(at)s") % {"at": figure.computed_at.strftime("%Y-%m-%d %H:%M")},
                warn_only=True,
            )
        )
    if app is not None:
        checks.append(
            Check(
                "daijiao_applied",
                _("The on-behalf application equals the amount owed"),
                gov_owed,
                app.owed_fen,
                app.number,
                warn_only=True,
            )
        )
        checks.append(
            Check(
                "daijiao_paid",
                _("The on-behalf payments received equal the amount owed"),
                gov_owed,
                gov_received,
                _("the persons not covered are listed"),
                warn_only=True,
            )
        )
    return {
        "year": year,
        "insurance": insurance,
        "flows": flows,
        "owed_lines": owed_lines,
        "subsidy": subsidy,
        "application": app,
        "checks": checks,
        "ok": all(c.ok for c in checks if not c.warn_only),
    }


# -------------------------------------------------------------------------------------------- drill-down


@dataclass
class PersonsPage:
    what: str
    rows: list[dict[str, Any]]
    total: int
    total_fen: int
    page: int
    pages: int


def _people(ids: list[int]) -> dict[int, Person]:
    return {p.pk: p for p in Person.objects.filter(pk__in=ids).only("id", "name", "id_number", "village_code")}


def _villages(codes: set[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


def persons_page(
    *,
    user: User,
    year: int,
    insurance: str,
    what: str,
    category: str = "",
    page: int = 1,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> PersonsPage:
    """One page of the persons or payments behind a figure; ID numbers masked; the look is logged."""
    services.require_read(user)
    if what not in WHATS:
        raise services.FinanceError("bad_what", _("Unknown figure."))
    services._insurance(insurance)
    page = max(1, page)
    rows: list[dict[str, Any]] = []
    if what in ("gov_paid", "contributions"):
        qs = Payment.objects.filter(coverage_year=year, insurance=insurance)
        qs = qs.filter(~Q(other_fen=0)) if what == "gov_paid" else qs.filter(~Q(amount_fen=0))
        field = "other_fen" if what == "gov_paid" else "amount_fen"
        total = qs.count()
        total_fen = int(qs.aggregate(s=Sum(field))["s"] or 0)
        chunk = list(qs.order_by("paid_at", "id")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        names = _villages({p.village_code for p in chunk})
        person_ids: list[int | None] = [p.person_id for p in chunk]
        for p in chunk:
            rows.append(
                {
                    "person_id": p.person_id,
                    "name": p.name,
                    "id_number": mask(p.id_number),
                    "village": names.get(p.village_code, p.village_code),
                    "amount_fen": getattr(p, field),
                    "kind": p.kind,
                    "channel": p.channel,
                    "txn_no": p.txn_no,
                    "batch_no": p.batch_no,
                    "paid_at": p.paid_at,
                    "counted": p.entry_id is not None,
                }
            )
    else:
        if what == "owed":
            frame = services.owed_frame(year, insurance).with_columns(pl.col("gov_fen").alias("amount_fen"))
        elif what == "not_covered":
            frame = services.not_covered_frame(year, insurance).with_columns(pl.col("missing_fen").alias("amount_fen"))
        else:
            frame = services.subsidy_payers(year, insurance).with_columns(pl.col("rate_fen").alias("amount_fen"))
        if category and "category" in frame.columns:
            frame = frame.filter(pl.col("category") == category)
        frame = frame.sort("entry_id")
        total, total_fen = frame.height, int(frame.get_column("amount_fen").sum() or 0)
        chunk_frame = frame.slice((page - 1) * PAGE_SIZE, PAGE_SIZE)
        person_ids = chunk_frame.get_column("person_id").to_list()
        people = _people([i for i in person_ids if i is not None])
        names = _villages(set(chunk_frame.get_column("village_code").to_list()))
        labels = services.category_labels(year, insurance)
        for r in chunk_frame.iter_rows(named=True):
            person = people.get(r["person_id"])
            rows.append(
                {
                    "person_id": r["person_id"],
                    "name": person.name if person else "",
                    "id_number": mask(person.id_number) if person else "",
                    "village": names.get(r["village_code"], r["village_code"]),
                    "amount_fen": r["amount_fen"],
                    "category": labels.get(r.get("category") or "", r.get("category") or ""),
                    "tier_fen": r.get("tier_fen"),
                    "owed_fen": r.get("gov_fen"),
                    "paid_fen": r.get("gov_paid_fen"),
                }
            )
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type=f"finance.{what}",
        object_ids=[i for i in person_ids if i is not None],
        duty=services.DUTY,
        query=f"year={year} insurance={insurance} what={what} category={category} page={page}",
        request=request,
        channel=channel,
    )
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return PersonsPage(what, rows, total, total_fen, page, pages)
