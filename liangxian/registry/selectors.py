"""Reads of the residents' register, each scoped to the actor and written to the access log (Art 20-21)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from liangxian.core import idnumbers, names
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction, Division, DivisionLevel
from liangxian.core.scope import Actor, division_q

from .models import DocumentType, Person

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
