"""Reads of the residents' register, each scoped to the actor and written to the access log (Art 20-21)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from liangxian.core import idnumbers, names
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, ScopeError, division_q

from .models import ChangeRequest, DocumentType, Person, PersonCategory, PersonFact, VerificationRequest

if TYPE_CHECKING:
    from django.http import HttpRequest

OBJECT_TYPE = "registry.person"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_MAX_PK = 2**63 - 1


@dataclass(frozen=True)
class PersonRow:
    """A resident as one actor may see him: the ID number masked unless the duty needs it whole."""

    id: int
    name: str
    id_type: str
    id_type_label: str
    id_number: str
    sex: str
    sex_label: str
    birth_date: date | None
    village_code: str
    village_name: str
    status: str
    status_label: str


@dataclass(frozen=True)
class PersonCard(PersonRow):
    """A resident's detail page: the row plus household, relation and phone."""

    name_original: str
    household: str
    relation: str
    phone: str
    township_code: str
    source: str


def person_scope(*, actor: Actor) -> QuerySet[Person]:
    """Return the residents whose village lies within the actor's scope (Art 21)."""
    return Person.objects.filter(division_q("village_code", actor.division_prefix))


def _clean(text: str | None) -> str:
    # NUL cannot reach PostgreSQL, and nobody searches with a paragraph.
    return (text or "").replace("\x00", "").strip()[:100]


def _search(text: str) -> Q:
    """Match a typed ID number exactly, or else a part of the name in its canonical spelling."""
    number, _repairs = idnumbers.normalise(text)
    if any(ch.isdigit() for ch in number):
        # Exact only: a prefix search would let a masked reader recover the digits he is not shown. Naming
        # every type lets the (id_type, id_number) unique index serve the lookup.
        return Q(id_type__in=DocumentType.values, id_number=number)
    check = names.check_name(text)
    return Q(name__contains=check.canonical or text)


def person_list(
    *, actor: Actor, q: str | None = None, village: str | None = None, status: str | None = None
) -> QuerySet[Person]:
    """Filter the actor's residents by ID number or name and by village (or township) code."""
    persons = person_scope(actor=actor)
    text = _clean(q)
    if text:
        persons = persons.filter(_search(text))
    code = _clean(village)
    if code:
        # Outside the scope the filter matches nothing rather than widening it.
        persons = persons.filter(division_q("village_code", code if actor.sees_division(code) else None))
    if status:
        persons = persons.filter(status=status)
    # The village_code index yields this order without a sort, even over the whole county.
    return persons.order_by("village_code", "id")


def villages_in_scope(*, actor: Actor) -> list[Division]:
    """List the villages an actor may filter by; empty for a village, whose scope is one."""
    prefix = actor.division_prefix
    if not prefix or len(prefix) >= 12:
        return []
    return list(
        Division.objects.filter(division_q("code", prefix), level=DivisionLevel.VILLAGE)
        .order_by("code")
        .only("code", "name")
    )


def _village_names(codes: Iterable[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _id_display(actor: Actor, number: str) -> str:
    return number if actor.sees_full_id else idnumbers.mask(number)


def person_rows(*, actor: Actor, persons: Sequence[Person]) -> list[PersonRow]:
    """Present residents for the actor, masking ID numbers unless his duty needs them whole."""
    villages = _village_names(p.village_code for p in persons)
    return [
        PersonRow(
            id=p.pk,
            name=p.name,
            id_type=p.id_type,
            id_type_label=str(p.get_id_type_display()),
            id_number=_id_display(actor, p.id_number),
            sex=p.sex,
            sex_label=str(p.get_sex_display()),
            birth_date=p.birth_date,
            village_code=p.village_code,
            village_name=villages.get(p.village_code, ""),
            status=p.status,
            status_label=str(p.get_status_display()),
        )
        for p in persons
    ]


def _describe(q: str | None, village: str | None) -> str:
    parts = [f"q={_clean(q)}" if _clean(q) else "", f"village={_clean(village)}" if _clean(village) else ""]
    return "&".join(p for p in parts if p)


def person_page(
    *,
    actor: Actor,
    q: str | None = None,
    village: str | None = None,
    page: int | str | None = 1,
    page_size: int = PAGE_SIZE,
    request: HttpRequest | None = None,
    channel: str = "web",
) -> tuple[Page[Person], list[PersonRow]]:
    """Return one page of the actor's residents and log who listed which of them."""
    persons = person_list(actor=actor, q=q, village=village)
    paginator = Paginator(persons, max(1, min(page_size, MAX_PAGE_SIZE)))
    current = paginator.get_page(page)
    shown = list(current.object_list)
    access_log(
        actor=actor,
        # An actor whose duty reaches no resident asked anyway: that is a refusal, not an empty list.
        action=AccessAction.LIST if actor.division_prefix else AccessAction.DENIED,
        object_type=OBJECT_TYPE,
        object_ids=[p.pk for p in shown],
        query=_describe(q, village),
        request=request,
        channel=channel,
    )
    return current, person_rows(actor=actor, persons=shown)


def person_get(*, actor: Actor, person_id: int, request: HttpRequest | None = None, channel: str = "web") -> PersonCard:
    """Return one resident if the actor's scope reaches him; log the view, or the refusal, either way.

    A resident outside the scope and one that does not exist look the same to the caller: both raise
    ``Person.DoesNotExist``, so the answer tells nothing about who is registered elsewhere.
    """
    person = None
    if 0 < person_id <= _MAX_PK:
        person = person_scope(actor=actor).select_related("household").filter(pk=person_id).first()
    access_log(
        actor=actor,
        action=AccessAction.VIEW if person is not None else AccessAction.DENIED,
        object_type=OBJECT_TYPE,
        object_ids=[person_id],
        request=request,
        channel=channel,
    )
    if person is None:
        raise Person.DoesNotExist(f"no resident {person_id} within the actor's scope")
    row = person_rows(actor=actor, persons=[person])[0]
    return PersonCard(
        **row.__dict__,
        name_original=person.name_original,
        household=person.household.number if person.household else "",
        relation=person.relation,
        phone=person.phone,
        township_code=person.township_code,
        source=person.source,
    )


EXPORT_COLUMNS = ("id", "name", "id_type", "id_number", "sex", "birth_date", "village_code", "status", "phone")


def person_export(
    *, actor: Actor, q: str | None = None, village: str | None = None, request: HttpRequest | None = None
) -> tuple[int, Iterator[tuple[object, ...]]]:
    """Log an export of the actor's residents and stream their rows, ID numbers masked unless needed."""
    persons = person_list(actor=actor, q=q, village=village)
    count = persons.count()
    access_log(
        actor=actor,
        action=AccessAction.EXPORT if actor.division_prefix else AccessAction.DENIED,
        object_type=OBJECT_TYPE,
        object_ids=list(persons.values_list("pk", flat=True)[:200]),
        count=count,
        query=_describe(q, village),
        request=request,
    )

    def rows() -> Iterator[tuple[object, ...]]:
        id_number_at = EXPORT_COLUMNS.index("id_number")
        for row in persons.values_list(*EXPORT_COLUMNS).iterator(chunk_size=5000):
            values = list(row)
            values[id_number_at] = _id_display(actor, str(values[id_number_at]))
            yield tuple(values)

    return count, rows()


# ------------------------------------------------------------------------ sources, corrections, verifications

FIELD_LABELS = {
    "record": gettext_lazy("Whole record"),
    "id_type": gettext_lazy("Document type"),
    "id_number": gettext_lazy("ID number"),
    "name": gettext_lazy("Name"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "village_code": gettext_lazy("Village"),
    "status": gettext_lazy("Status"),
    "status_date": gettext_lazy("Status since"),
    "phone": gettext_lazy("Phone"),
    "relation": gettext_lazy("Relation to head"),
    "household": gettext_lazy("Household"),
}


@dataclass(frozen=True)
class FactRow:
    """One fact of a resident with where it came from: a submission of a list, or an approved correction."""

    field: str
    label: str
    value: str
    source: str
    submission_id: int | None
    dataset: str
    provider: str
    change_request_id: int | None
    recorded_at: datetime
    current: bool


@dataclass(frozen=True)
class CategoryRow:
    """A list a resident is or was on, from which version of whose list."""

    category: str
    detail: str
    dataset: str
    dataset_name: str
    provider: str
    submission_id: int
    version: int | None
    since: datetime
    until: datetime | None


def _fact_value(actor: Actor, fact: PersonFact) -> str:
    # A fact repeats the record; the same masking applies to it.
    if fact.field == "id_number":
        return _id_display(actor, fact.value)
    return fact.value


def person_sources(*, actor: Actor, person_id: int) -> tuple[list[FactRow], list[CategoryRow]]:
    """Return a resident's facts with their sources and the lists he is on, newest first (scope checked, not logged).

    The caller has logged the view of the person (``person_get``); a resident outside the scope raises
    ``Person.DoesNotExist``.
    """
    if not person_scope(actor=actor).filter(pk=person_id).exists():
        raise Person.DoesNotExist(f"no resident {person_id} within the actor's scope")
    facts = (
        PersonFact.objects.filter(person_id=person_id)
        .select_related("submission__dataset", "submission__unit")
        .order_by("-recorded_at", "-pk")
    )
    fact_rows = [
        FactRow(
            field=fact.field,
            label=str(FIELD_LABELS.get(fact.field, fact.field)),
            value=_fact_value(actor, fact),
            source=fact.source,
            submission_id=fact.submission_id,
            dataset=fact.submission.dataset.name if fact.submission else "",
            provider=fact.submission.unit.name if fact.submission else "",
            change_request_id=fact.change_request_id,
            recorded_at=fact.recorded_at,
            current=fact.current,
        )
        for fact in facts
    ]
    categories = (
        PersonCategory.objects.filter(person_id=person_id)
        .select_related("submission__dataset", "submission__unit")
        .order_by(F("until").desc(nulls_first=True), "-since")
    )
    category_rows = [
        CategoryRow(
            category=c.category,
            detail=c.detail,
            dataset=c.dataset,
            dataset_name=c.submission.dataset.name,
            provider=c.submission.unit.name,
            submission_id=c.submission_id,
            version=c.submission.version,
            since=c.since,
            until=c.until,
        )
        for c in categories
    ]
    return fact_rows, category_rows


def person_facts(
    *, actor: Actor, person_id: int, request: HttpRequest | None = None, channel: str = "web"
) -> tuple[PersonCard, list[FactRow], list[CategoryRow]]:
    """Return a resident with the sources of his facts and his lists; log the view, or the refusal."""
    card = person_get(actor=actor, person_id=person_id, request=request, channel=channel)
    facts, categories = person_sources(actor=actor, person_id=person_id)
    return card, facts, categories


def correction_list(*, actor: Actor, status: str | None = None) -> QuerySet[ChangeRequest]:
    """List the corrections of residents within the actor's scope."""
    requests = ChangeRequest.objects.filter(division_q("person__village_code", actor.division_prefix))
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("person", "requested_by", "decided_by").order_by("-requested_at")


def correction_get(*, actor: Actor, request_id: int) -> ChangeRequest:
    """Return one correction of a resident within the actor's scope, else raise ChangeRequest.DoesNotExist."""
    return correction_list(actor=actor).get(pk=request_id)


def verification_scope(*, actor: Actor) -> QuerySet[VerificationRequest]:
    """Return the verification requests the actor's unit asked or was asked (the superuser sees all)."""
    requests = VerificationRequest.objects.all()
    if not actor.is_superuser:
        if not actor.unit_code:
            return requests.none()
        requests = requests.filter(Q(requester__code=actor.unit_code) | Q(target__code=actor.unit_code))
    return requests.select_related("requester", "target", "owner", "asked_by", "answered_by", "escalated_from")


@dataclass(frozen=True)
class VerificationTrack:
    """A request with the chain it belongs to: where it stands now, the final answer and the time it all took."""

    request: VerificationRequest
    chain: list[VerificationRequest]
    level: str
    status: str
    answer: str
    taken: timedelta | None  # from the first question to the final answer, or until now while open


def verification_track(request: VerificationRequest, *, now: datetime | None = None) -> VerificationTrack:
    """Follow a request up and down its escalations and say where it stands."""
    root = request
    while root.escalated_from_id is not None:
        root = VerificationRequest.objects.select_related("requester", "target", "owner").get(pk=root.escalated_from_id)
    chain = [root]
    while True:
        upper = (
            VerificationRequest.objects.filter(escalated_from=chain[-1])
            .select_related("requester", "target", "owner", "answered_by")
            .first()
        )
        if upper is None:
            break
        chain.append(upper)
    last = chain[-1]
    end = last.answered_at if last.status in ("answered", "closed") else None
    taken = (end or now or timezone.now()) - root.asked_at
    return VerificationTrack(
        request=request,
        chain=chain,
        level=last.level,
        status=last.status,
        answer=last.answer if end else "",
        taken=taken,
    )


def verification_list(
    *, actor: Actor, status: str | None = None, role: str | None = None
) -> QuerySet[VerificationRequest]:
    """List the actor's unit's requests: asked of others (role=asked) or of it (role=received), newest first."""
    requests = verification_scope(actor=actor)
    if role == "asked":
        requests = requests.filter(requester__code=actor.unit_code)
    elif role == "received":
        requests = requests.filter(target__code=actor.unit_code)
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-asked_at")


# ----------------------------------------------------------------------------------- the provider's view, Art 21


@dataclass(frozen=True)
class UsageRow:
    """One use of personal data a department provided: who, when, what, for which duty, and how many of its persons."""

    at: datetime
    user: str
    unit_code: str
    duty: str
    action: str
    channel: str
    matched: int  # persons of this provider among the objects logged
    logged: int  # records the entry says it covered (an export logs only its first ids)
    partial: bool  # the entry covered more records than it names: some of the provider's may be among the rest


def provided_person_ids(*, unit_id: int) -> pl.DataFrame:
    """Return the ids of the residents a unit's accepted list rows name (a frame of person_id)."""
    from liangxian.exchange.models import Submission, SubmissionRow

    from .services import read_frame

    quote = connection.ops.quote_name
    person, row, sub = (quote(m._meta.db_table) for m in (Person, SubmissionRow, Submission))
    marks = ", ".join("%s" for _ in DocumentType.values)
    return read_frame(
        f"SELECT DISTINCT p.id FROM {row} AS r JOIN {sub} AS s ON s.id = r.submission_id "  # noqa: S608 - quoted
        f"JOIN {person} AS p ON p.id_number = r.id_number AND p.id_type IN ({marks}) "
        "WHERE s.unit_id = %s AND r.outcome IN (%s, %s) AND s.status IN (%s, %s)",
        [*DocumentType.values, unit_id, "accepted", "repaired", "in_force", "superseded"],
        schema={"person_id": pl.Int64},
    )


def provider_usage(
    *,
    actor: Actor,
    unit_id: int,
    since: datetime,
    until: datetime | None = None,
    include_own: bool = False,
    limit: int = 500,
) -> tuple[list[UsageRow], dict[str, int]]:
    """List who viewed or exported the residents a department provided, and for which duty (Art 21).

    Only the providing unit itself (or the superuser) may ask. The access log keeps person ids as text in a JSON
    list; the entries of the period are exploded and joined to the provided persons in one frame operation.
    """
    from liangxian.core.models import AccessLog

    if not actor.is_superuser and actor.unit_code != _unit_code(unit_id):
        raise ScopeError("only the providing unit sees the use of its data")
    provided = provided_person_ids(unit_id=unit_id)
    from .services import read_frame

    quote = connection.ops.quote_name
    user_table = quote(AccessLog._meta.get_field("user").related_model._meta.db_table)
    sql = (
        f"SELECT a.id, CAST(a.at AS TEXT), u.username, a.unit_code, a.duty, a.action, a.channel, a.count, "  # noqa: S608
        f"CAST(a.object_ids AS TEXT) FROM {quote(AccessLog._meta.db_table)} AS a "
        f"LEFT JOIN {user_table} AS u ON u.id = a.user_id "
        "WHERE a.object_type = %s AND a.at >= %s AND a.action <> %s"
    )
    params: list[object] = [OBJECT_TYPE, since, AccessAction.DENIED]
    if until is not None:
        sql += " AND a.at < %s"
        params.append(until)
    if not include_own:
        sql += " AND a.unit_code <> %s"
        params.append(actor.unit_code)
    # Straight into a frame: a month of access log can be large, and only the ids inside matter here.
    raw = read_frame(
        sql,
        params,
        schema={
            "id": pl.Int64,
            "at": pl.String,
            "user": pl.String,
            "unit_code": pl.String,
            "duty": pl.String,
            "action": pl.String,
            "channel": pl.String,
            "logged": pl.Int64,
            "object_ids": pl.String,
        },
    )
    empty = {"entries": 0, "persons": 0, "provided": provided.height}
    if raw.is_empty() or provided.is_empty():
        return [], empty
    frame = raw.with_columns(
        pl.col("at").str.to_datetime(time_zone="UTC", strict=False, time_unit="us"),
        pl.col("object_ids").str.json_decode(pl.List(pl.String)),
        pl.col("unit_code").fill_null(""),
    )
    exploded = (
        frame.select("id", "object_ids")
        .explode("object_ids")
        .select("id", pl.col("object_ids").cast(pl.Int64, strict=False).alias("person_id"))
    )
    hits = exploded.join(provided, on="person_id", how="semi")
    per_entry = hits.group_by("id").agg(pl.col("person_id").n_unique().alias("matched"))
    named = frame.with_columns(pl.col("object_ids").list.len().alias("named"))
    result = (
        named.join(per_entry, on="id", how="left")
        .with_columns(pl.col("matched").fill_null(0), (pl.col("logged") > pl.col("named")).alias("partial"))
        .filter((pl.col("matched") > 0) | (pl.col("partial") & (pl.col("action") == AccessAction.EXPORT)))
        .sort("at", descending=True)
    )
    totals = {"entries": result.height, "persons": hits["person_id"].n_unique(), "provided": provided.height}
    rows = [
        UsageRow(
            at=r["at"],
            user=r["user"] or "",
            unit_code=r["unit_code"],
            duty=r["duty"],
            action=r["action"],
            channel=r["channel"],
            matched=r["matched"],
            logged=r["logged"],
            partial=r["partial"],
        )
        for r in result.head(limit).iter_rows(named=True)
    ]
    return rows, totals


def usage_by_duty(rows: Sequence[UsageRow]) -> list[tuple[str, str, int, int]]:
    """Sum the uses by unit and duty: (unit, duty, entries, persons matched)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        entry = sums.setdefault((row.unit_code, row.duty), [0, 0])
        entry[0] += 1
        entry[1] += row.matched
    return sorted(((u, d, n, m) for (u, d), (n, m) in sums.items()), key=lambda t: (-t[2], t[0]))


def _unit_code(unit_id: int) -> str:
    from liangxian.org.models import Unit

    return Unit.objects.filter(pk=unit_id).values_list("code", flat=True).first() or ""


def submission_not_in_register(
    *, actor: Actor, submission_id: int, limit: int = 1000
) -> tuple[int, list[tuple[int, str, str]]]:
    """Return the rows of a list naming persons the household register does not hold: (count, first rows).

    Seen by the providing unit, which has to check them (public security is the authority for who exists).
    """
    from liangxian.exchange.models import Submission, SubmissionRow

    sub = Submission.objects.filter(pk=submission_id).select_related("unit").first()
    if sub is None or (not actor.is_superuser and sub.unit.code != actor.unit_code):
        raise ScopeError("only the providing unit sees its rows")
    quote = connection.ops.quote_name
    person, row = quote(Person._meta.db_table), quote(SubmissionRow._meta.db_table)
    marks = ", ".join("%s" for _ in DocumentType.values)
    where = (
        f"FROM {row} AS r WHERE r.submission_id = %s AND r.outcome IN (%s, %s) AND NOT EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {person} AS p WHERE p.id_type IN ({marks}) AND p.id_number = r.id_number)"
    )
    params: list[int | str] = [submission_id, "accepted", "repaired", *DocumentType.values]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {where}", params)
        (count,) = cursor.fetchone()
        cursor.execute(
            f"SELECT r.row_number, r.id_number, r.name {where} ORDER BY r.row_number LIMIT %s", [*params, limit]
        )
        rows = [(int(a), str(b), str(c)) for a, b, c in cursor.fetchall()]
    access_log(
        actor=actor,
        action=AccessAction.LIST,
        object_type="exchange.submissionrow",
        object_ids=[r[0] for r in rows],
        count=count,
        query=f"submission={submission_id}&not_in_register",
        duty="data_provision",
    )
    return int(count), rows
