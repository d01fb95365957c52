"""The due-lists (应缴费人员台账, Art 27): tax pushes each township its list; townships and villages read it.

"Still has to pay" is one condition, :func:`still_to_pay_q`, with its twin :func:`paid_q`: the roster entries
that must pay and are not yet paid. Payments arrive with issue 5 (collection); it adds the paid condition
there and nowhere else, and every list, export, PDF and progress figure follows.

Scope: tax sees every township; a township user only its own township, and only once tax has pushed its
list; a village user only his own village, once his township's list was pushed. Every read of the list is
written to the access log with the duty.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Final

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.campaigns.models import Campaign, DaijiaoRule, ExpansionTarget, InsuranceType
from liangxian.core import idnumbers, names
from liangxian.core.access import access_log
from liangxian.core.audit import audit_record
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.money import format_yuan, from_fen
from liangxian.core.scope import Actor, division_q
from liangxian.exchange.exports import export_mark, safe_cell, safe_workbook
from liangxian.org.models import Department, Unit, UnitKind

from .models import BuildStatus, DueListPush, RosterBuild, RosterEntry

if TYPE_CHECKING:
    from django.http import HttpRequest

    from liangxian.org.models import User

log = logging.getLogger(__name__)

OBJECT_TYPE = "roster.duelist"
DUTY_RULE = "duelist.push"
PAGE_SIZE = 50
INSURANCE_LABELS_ZH = {"medical": "城乡居民基本医疗保险", "pension": "城乡居民基本养老保险"}
# The printed and exported forms are Chinese documents the county files, like the exchange's exports.
XLSX_HEADERS = (
    "序号",
    "乡镇",
    "村（社区）",
    "姓名",
    "身份证号码",
    "性别",
    "险种",
    "个人应缴（元）",
    "代缴类别",
    "仅能现金缴费",
    "联系电话",
)
SEX_ZH = {"M": "男", "F": "女"}


class DueListError(Exception):
    """A due-list action or read that cannot be done; ``code`` says why, ``message`` says it to the clerk."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ------------------------------------------------------------------------------------------------ paid or not


def paid_q() -> Q:
    """Match the roster entries already paid: the collection app keeps each entry's settlement."""
    return Q(settlement__paid=True)


def still_to_pay_q() -> Q:
    """Match the roster entries that must pay and are not yet paid: the one definition of the due-list."""
    return Q(must_pay=True) & ~paid_q()


# ------------------------------------------------------------------------------------------------------ scope


@dataclass(frozen=True)
class DueScope:
    """What one actor may read of the due-lists: every township (tax) or one township's or village's list."""

    actor: Actor
    township_code: str | None  # None: every township (tax)
    village_code: str | None  # set for a village user
    duty: str

    @property
    def is_tax(self) -> bool:
        return self.township_code is None

    def q(self) -> Q:
        """Filter roster entries to this scope."""
        if self.village_code:
            return Q(village_code=self.village_code)
        if self.township_code:
            return Q(township_code=self.township_code)
        return division_q("village_code", self.actor.division_prefix)


def due_scope(actor: Actor) -> DueScope:
    """Return the actor's reach over the due-lists, or raise ``forbidden`` (Art 27: tax, townships, villages)."""
    if actor.unit_kind == UnitKind.DEPARTMENT and actor.department == Department.TAX:
        return DueScope(actor=actor, township_code=None, village_code=None, duty="collection")
    if actor.unit_kind == UnitKind.TOWNSHIP and actor.division_code:
        return DueScope(
            actor=actor, township_code=actor.division_code[:9], village_code=None, duty="township_collection"
        )
    if actor.unit_kind == UnitKind.VILLAGE and actor.division_code:
        return DueScope(
            actor=actor,
            township_code=actor.division_code[:9],
            village_code=actor.division_code,
            duty="village_collection",
        )
    raise DueListError("forbidden", _("Only tax, the townships and the villages read the due-lists (Art 27)."))


def campaign_current(coverage_year: int | str | None = None) -> Campaign:
    """Return the campaign of a coverage year, or the latest active one (else the latest), or raise."""
    campaigns = Campaign.objects.all()
    if coverage_year not in (None, ""):
        try:
            return campaigns.get(coverage_year=int(str(coverage_year)))
        except (Campaign.DoesNotExist, ValueError):
            raise DueListError("no_campaign", _("There is no campaign for that coverage year.")) from None
    found = campaigns.filter(status="active").order_by("-coverage_year").first() or campaigns.first()
    if found is None:
        raise DueListError("no_campaign", _("No campaign has been set up yet."))
    return found


def township_unit(township_code: str) -> Unit | None:
    """Return the township government unit of a township division code."""
    return Unit.objects.filter(kind=UnitKind.TOWNSHIP, division_id=township_code).order_by("pk").first()


def last_push(*, campaign: Campaign, township_code: str) -> DueListPush | None:
    """Return tax's latest push of a township's due-list for the campaign, if any."""
    return (
        DueListPush.objects.filter(campaign=campaign, township__division_id=township_code)
        .select_related("build", "pushed_by", "township")
        .order_by("-pushed_at", "-pk")
        .first()
    )


def check_pushed(scope: DueScope, campaign: Campaign, township_code: str | None = None) -> DueListPush | None:
    """Raise ``not_pushed`` for a township or village whose list tax has not pushed yet; return the push."""
    code = scope.township_code or township_code
    if code is None:
        return None
    push = last_push(campaign=campaign, township_code=code)
    if push is None and not scope.is_tax:
        raise DueListError(
            "not_pushed",
            _("Tax has not yet pushed your township's due-list for %(campaign)s. It appears here once pushed.")
            % {"campaign": campaign},
        )
    return push


# ------------------------------------------------------------------------------------------------------- push


def latest_build(campaign: Campaign) -> RosterBuild | None:
    """Return the campaign's latest finished roster build."""
    return RosterBuild.objects.filter(campaign=campaign, status=BuildStatus.DONE).order_by("-number").first()


def _townships(townships: Sequence[Unit | str] | None) -> list[Unit]:
    units = Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True)
    if townships is None:
        return list(units.order_by("division_id", "code"))
    pks = [t.pk for t in townships if isinstance(t, Unit)]
    keys = [str(t) for t in townships if not isinstance(t, Unit)]  # a unit code or a township division code
    chosen = list(units.filter(Q(pk__in=pks) | Q(code__in=keys) | Q(division_id__in=keys)))
    if len(chosen) < len(set(townships)):
        raise DueListError("unknown_township", _("One of the townships named is not a township unit."))
    return sorted(chosen, key=lambda u: (u.division_id or "", u.code))


def duelist_push(
    *, actor: User, campaign: Campaign, townships: Sequence[Unit | str] | None = None
) -> list[DueListPush]:
    """Push each township its due-list from the campaign's latest finished build (Art 27); tax only.

    Fulfils tax's ``duelist.push`` obligation once every active township has its list for the campaign.
    """
    who = Actor.of(actor)
    if not (who.unit_kind == UnitKind.DEPARTMENT and who.department == Department.TAX):
        raise DueListError("forbidden", _("Only the tax bureau pushes the due-lists (Art 27)."))
    build = latest_build(campaign)
    if build is None:
        raise DueListError("no_build", _("The roster of this campaign has not been built yet."))
    units = _townships(townships)
    if not units:
        raise DueListError("no_township", _("There is no township to push a due-list to."))
    now = timezone.now()
    counts = dict(
        RosterEntry.objects.filter(campaign=campaign)
        .filter(still_to_pay_q())
        .values_list("township_code")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("township_code", "n")
    )
    with transaction.atomic():
        pushes = DueListPush.objects.bulk_create(
            [
                DueListPush(
                    campaign=campaign,
                    township=u,
                    build=build,
                    entries=counts.get(u.division_id or "", 0),
                    pushed_by=actor,
                    pushed_at=now,
                )
                for u in units
            ]
        )
        audit_record(
            actor=actor,
            action="roster.duelist_push",
            object_type="campaigns.campaign",
            object_id=str(campaign.pk),
            payload={
                "campaign": campaign.coverage_year,
                "build": build.number,
                "townships": {u.code: counts.get(u.division_id or "", 0) for u in units},
            },
        )
        _fulfil_if_complete(actor=actor, campaign=campaign, build=build, at=now)
    return pushes


def _fulfil_if_complete(*, actor: User, campaign: Campaign, build: RosterBuild, at: datetime) -> None:
    """Fulfil ``duelist.push`` for tax when every active township has been pushed its list."""
    from liangxian.obligations.services import obligation_fulfil

    active = set(Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True).values_list("pk", flat=True))
    pushed = set(DueListPush.objects.filter(campaign=campaign).values_list("township_id", flat=True))
    if not active or not active <= pushed:
        return
    if actor.unit is None:
        return
    obligation_fulfil(
        rule_code=DUTY_RULE,
        unit=actor.unit,
        ref=f"roster.build:{build.pk}",
        label=_("Due-lists pushed to %(n)s townships from build %(build)s") % {"n": len(active), "build": build.number},
        at=at,
        actor=actor,
        campaign=campaign,
    )


@dataclass(frozen=True)
class PushStatus:
    """One township's due-list: persons still to pay now, and the last push (None: not pushed yet)."""

    unit: Unit
    to_pay: int
    push: DueListPush | None


def push_status(*, campaign: Campaign) -> list[PushStatus]:
    """List every active township with its last push for the campaign (tax's page)."""
    counts = dict(
        RosterEntry.objects.filter(campaign=campaign)
        .filter(still_to_pay_q())
        .values_list("township_code")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("township_code", "n")
    )
    latest: dict[int, DueListPush] = {}
    for p in DueListPush.objects.filter(campaign=campaign).select_related("build", "pushed_by").order_by("pushed_at"):
        latest[p.township_id] = p
    return [
        PushStatus(unit=u, to_pay=counts.get(u.division_id or "", 0), push=latest.get(u.pk))
        for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True).order_by("division_id", "code")
    ]


# ---------------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class DueFilters:
    """The filters of a due-list: village, insurance, 代缴 category ("none" for none), cash only, name or ID."""

    village: str = ""
    insurance: str = ""
    category: str = ""
    cash_only: bool = False
    q: str = ""
    township: str = ""  # tax only: one township

    @classmethod
    def of(cls, params: Any) -> DueFilters:
        """Read the filters from a query dict (web) or a mapping (API)."""

        def get(key: str) -> str:
            return str(params.get(key) or "").replace("\x00", "").strip()[:100]

        return cls(
            village=get("village"),
            insurance=get("insurance"),
            category=get("category"),
            cash_only=get("cash_only") in ("1", "true", "on", "yes"),
            q=get("q"),
            township=get("township"),
        )

    def describe(self) -> str:
        """Say which filters were used, for the access log."""
        parts = {k: v for k, v in self.__dict__.items() if v}
        return "&".join(f"{k}={v}" for k, v in parts.items())


def _search(text: str) -> Q:
    number, _repairs = idnumbers.normalise(text)
    if any(ch.isdigit() for ch in number):
        # Exact only: a prefix search would let a masked reader recover the digits he is not shown.
        return Q(person__id_number=number)
    check = names.check_name(text)
    return Q(person__name__contains=check.canonical or text)


def due_entries(*, scope: DueScope, campaign: Campaign, filters: DueFilters | None = None) -> QuerySet[RosterEntry]:
    """Return the campaign's entries still to pay within the scope, filtered, in village and name order."""
    f = filters or DueFilters()
    qs = RosterEntry.objects.filter(campaign=campaign).filter(still_to_pay_q()).filter(scope.q())
    if f.township and scope.is_tax:
        qs = qs.filter(township_code=f.township)
    if f.village:
        # Outside the scope the filter matches nothing rather than widening it.
        qs = qs.filter(village_code=f.village)
    if f.insurance in InsuranceType.values:
        qs = qs.filter(insurance=f.insurance)
    if f.category == "none":
        qs = qs.filter(daijiao_category="")
    elif f.category:
        qs = qs.filter(daijiao_category=f.category)
    if f.cash_only:
        qs = qs.filter(cash_only=True)
    if f.q:
        qs = qs.filter(_search(f.q))
    return qs.order_by("village_code", "person__name", "person_id", "insurance")


@dataclass(frozen=True)
class DueRow:
    """One line of a due-list as the actor may see it: the ID number masked unless his duty needs it whole."""

    entry_id: int
    person_id: int
    name: str
    id_number: str
    sex: str
    phone: str
    township_code: str
    township_name: str
    village_code: str
    village_name: str
    insurance: str
    insurance_label: str
    own_fen: int
    own_text: str
    daijiao_category: str
    daijiao_label: str
    cash_only: bool


def category_labels(campaign_id: int) -> dict[str, str]:
    """Return the county's label (特困, 低保 …) of each 代缴 category of the campaign's rules."""
    labels: dict[str, str] = {}
    for category, label in (
        DaijiaoRule.objects.filter(campaign_id=campaign_id).order_by("priority", "pk").values_list("category", "label")
    ):
        labels.setdefault(category, label)
    return labels


def _division_names(codes: set[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


def due_rows(scope: DueScope, entries: Sequence[RosterEntry] | QuerySet[RosterEntry]) -> list[DueRow]:
    """Present entries (with their person) for the actor."""
    items = list(entries)
    divisions = _division_names({e.village_code for e in items} | {e.township_code for e in items})
    full = scope.actor.sees_full_id
    labels = dict(InsuranceType.choices)
    categories = category_labels(items[0].campaign_id) if items else {}
    return [
        DueRow(
            entry_id=e.pk,
            person_id=e.person_id,
            name=e.person.name,
            id_number=e.person.id_number if full else idnumbers.mask(e.person.id_number),
            sex=e.person.sex,
            phone=e.person.phone,
            township_code=e.township_code,
            township_name=divisions.get(e.township_code, e.township_code),
            village_code=e.village_code,
            village_name=divisions.get(e.village_code, e.village_code),
            insurance=e.insurance,
            insurance_label=str(labels.get(e.insurance, e.insurance)),
            own_fen=e.own_fen,
            own_text=format_yuan(from_fen(e.own_fen)),
            daijiao_category=e.daijiao_category,
            daijiao_label=categories.get(e.daijiao_category, e.daijiao_category),
            cash_only=e.cash_only,
        )
        for e in items
    ]


def log_due_access(
    scope: DueScope,
    *,
    action: str,
    ids: Sequence[object] = (),
    count: int | None = None,
    query: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> None:
    """Write one read or export of a due-list to the access log, with the actor's duty (Art 20-21)."""
    access_log(
        actor=scope.actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_ids=ids,
        count=count,
        duty=scope.duty,
        query=query,
        request=request,
        channel=channel,
    )


def log_denied(actor: Actor, *, query: str = "", request: HttpRequest | None = None, channel: str = "web") -> None:
    """Record a refused read of a due-list."""
    access_log(
        actor=actor,
        action=AccessAction.DENIED,
        object_type=OBJECT_TYPE,
        query=query,
        request=request,
        channel=channel,
    )


def villages_of(scope: DueScope, township_code: str | None = None) -> list[Division]:
    """List the villages a due-list can be filtered by."""
    if scope.village_code:
        return list(Division.objects.filter(code=scope.village_code))
    code = scope.township_code or township_code
    qs = Division.objects.filter(level=DivisionLevel.VILLAGE)
    qs = qs.filter(parent_id=code) if code else qs.filter(division_q("code", scope.actor.division_prefix))
    return list(qs.order_by("code").only("code", "name"))


def categories_of(*, campaign: Campaign, scope: DueScope) -> list[tuple[str, str]]:
    """List the 代缴 categories present in the scope's entries with their labels (for the filter)."""
    labels = category_labels(campaign.pk)
    codes = (
        RosterEntry.objects.filter(campaign=campaign)
        .filter(scope.q())
        .exclude(daijiao_category="")
        .values_list("daijiao_category", flat=True)
        .distinct()
    )
    return sorted((c, labels.get(c, c)) for c in codes if c)


# ------------------------------------------------------------------------------------------------------ export


# The columns of a due-list line that the export and the printed list both read (in line_shown's order).
LINE_FIELDS: Final = (
    "person__name",
    "person__id_number",
    "person__sex",
    "insurance",
    "own_fen",
    "daijiao_category",
    "cash_only",
)


def line_shown(
    labels: dict[str, str], sex: str, insurance: str, own: int, category: str, cash: bool
) -> tuple[str, str, str, str, str]:
    """Show a due-list line's sex, insurance, amount the person pays, 代缴 category and cash-only mark (Chinese)."""
    return (
        SEX_ZH.get(sex, sex),
        INSURANCE_LABELS_ZH.get(insurance, insurance),
        f"{from_fen(own)}",
        labels.get(category, category),
        "是" if cash else "",
    )


def _lines(scope: DueScope, campaign: Campaign, entries: QuerySet[RosterEntry]) -> Iterator[list[object]]:
    full = scope.actor.sees_full_id
    labels = category_labels(campaign.pk)
    values = entries.values_list("township_code", "village_code", *LINE_FIELDS, "person__phone")
    codes = set(entries.values_list("village_code", flat=True).distinct()) | set(
        entries.values_list("township_code", flat=True).distinct()
    )
    names_by_code = _division_names(codes)
    for n, (town, village, name, number, sex, insurance, own, category, cash, phone) in enumerate(
        values.iterator(chunk_size=5000), start=1
    ):
        yield [
            n,
            names_by_code.get(town, town),
            names_by_code.get(village, village),
            name,
            number if full else idnumbers.mask(number),
            *line_shown(labels, sex, insurance, own, category, cash),
            phone,
        ]


def duelist_xlsx(
    *,
    scope: DueScope,
    campaign: Campaign,
    filters: DueFilters,
    target: IO[bytes],
    exporter: str,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> int:
    """Write the due-list to xlsx (every cell text, formula-escaped), marked with who exported it; log it."""
    check_pushed(scope, campaign, filters.township or None)
    entries = due_entries(scope=scope, campaign=campaign, filters=filters)
    count = entries.count()
    log_due_access(
        scope,
        action=AccessAction.EXPORT,
        count=count,
        query=f"xlsx {campaign.coverage_year} {filters.describe()}".strip(),
        request=request,
        channel=channel,
    )
    mark = export_mark(scope.actor, scope.duty)
    book = safe_workbook(target)
    book.set_properties({"title": f"{campaign} 应缴费人员台账", "author": exporter, "comments": mark})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("应缴费人员台账")
    sheet.write_string(0, 0, safe_cell(mark))
    sheet.write_string(1, 0, safe_cell(f"{campaign} 应缴费人员台账（尚未缴费） 共 {count} 条"))
    for col, label in enumerate(XLSX_HEADERS):
        sheet.write_string(2, col, label, bold)
    row = 3
    for values in _lines(scope, campaign, entries):
        for col, value in enumerate(values):
            sheet.write_string(row, col, safe_cell(value))
        row += 1
    book.close()
    return count


def duelist_xlsx_file(
    *, scope: DueScope, campaign: Campaign, filters: DueFilters, exporter: str, **kw: Any
) -> tuple[IO[bytes], int]:
    """Write the due-list's xlsx to a spooled temporary file, rewound; the caller closes it."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller (FileResponse closes it)
    count = duelist_xlsx(scope=scope, campaign=campaign, filters=filters, target=spool, exporter=exporter, **kw)
    spool.seek(0)
    return spool, count


# ---------------------------------------------------------------------------------------------------- progress


@dataclass
class ProgressRow:
    """Towards "not one missed" (不漏一人) for one village or township and one insurance."""

    code: str
    name: str
    must_pay: int = 0
    paid: int = 0
    target: int | None = None
    children: list[ProgressRow] = field(default_factory=list)

    @property
    def to_pay(self) -> int:
        return self.must_pay - self.paid

    @property
    def coverage(self) -> float | None:
        """Paid against the enrolment target, in percent (None without a target)."""
        if not self.target:
            return None
        return round(100 * self.paid / self.target, 1)

    @property
    def paid_share(self) -> float | None:
        """Paid against the persons on the roster who must pay, in percent."""
        if not self.must_pay:
            return None
        return round(100 * self.paid / self.must_pay, 1)


def _counts(qs: QuerySet[RosterEntry], by: str) -> dict[str, tuple[int, int]]:
    rows = qs.values(by).annotate(
        must=Count("person_id", distinct=True),
        paid=Count("person_id", distinct=True, filter=paid_q()),
    )
    return {r[by]: (r["must"], r["paid"]) for r in rows}


def progress(
    *,
    scope: DueScope,
    campaign: Campaign,
    insurance: str = InsuranceType.MEDICAL,
    township: str = "",
    request: HttpRequest | None = None,
    channel: str = "web",
) -> list[ProgressRow]:
    """Count per township (tax) or per village: must pay, paid, still to pay, the target and the coverage.

    Tax gets one row per township with its villages as children; a township one row (its own) with its
    villages; a village one row. Counts are persons (distinct) of the insurance; only aggregates, but the read
    is logged all the same.
    """
    if not scope.is_tax:
        check_pushed(scope, campaign)
    insurance = insurance if insurance in InsuranceType.values else InsuranceType.MEDICAL
    base = RosterEntry.objects.filter(campaign=campaign, insurance=insurance, must_pay=True).filter(scope.q())
    if township and scope.is_tax:
        base = base.filter(township_code=township)
    by_village = _counts(base, "village_code")
    targets = dict(
        ExpansionTarget.objects.filter(campaign=campaign, insurance=insurance).values_list("division_id", "target")
    )
    villages = villages_of(scope, township or None)
    towns: dict[str, ProgressRow] = {}
    town_names = dict(Division.objects.filter(level=DivisionLevel.TOWNSHIP).values_list("code", "name"))
    for v in villages:
        tcode = v.code[:9]
        if scope.township_code and tcode != scope.township_code:
            continue
        town = towns.setdefault(tcode, ProgressRow(code=tcode, name=town_names.get(tcode, tcode)))
        must, paid = by_village.get(v.code, (0, 0))
        town.children.append(
            ProgressRow(code=v.code, name=v.name, must_pay=must, paid=paid, target=targets.get(v.code))
        )
    for town in towns.values():
        town.must_pay = sum(c.must_pay for c in town.children)
        town.paid = sum(c.paid for c in town.children)
        child_targets = [c.target for c in town.children if c.target is not None]
        town.target = targets.get(town.code) or (sum(child_targets) if child_targets else None)
    log_due_access(
        scope,
        action=AccessAction.LIST,
        count=sum(t.must_pay for t in towns.values()),
        query=f"progress {campaign.coverage_year} {insurance} {township}".strip(),
        request=request,
        channel=channel,
    )
    return [towns[k] for k in sorted(towns)]


def progress_chart(rows: Sequence[ProgressRow]) -> dict[str, Any]:
    """The bar chart's data: one bar group per village (or township for tax), plain numbers for ECharts."""
    items = rows[0].children if len(rows) == 1 else list(rows)
    return {
        "labels": [r.name for r in items],
        "paid": [r.paid for r in items],
        "to_pay": [r.to_pay for r in items],
        "target": [r.target for r in items],  # null: no target, no marker
    }
