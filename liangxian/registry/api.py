"""The residents' API: the same scoped, logged selectors as the pages, for browsers and other systems."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from liangxian.core.scope import Actor

from . import selectors
from .models import Person

router = Router(tags=["registry"])


class PersonOut(Schema):
    id: int
    name: str
    id_type: str
    id_number: str = Field(description="Masked unless the caller's duty needs the whole number.")
    sex: str
    birth_date: date | None
    village_code: str
    village_name: str
    status: str


class PersonDetailOut(PersonOut):
    name_original: str
    household: str
    relation: str
    phone: str
    township_code: str
    source: str


class PersonPageOut(Schema):
    items: list[PersonOut]
    count: int
    page: int
    pages: int
    page_size: int


class ErrorOut(Schema):
    detail: str


class PersonFilter(Schema):
    q: str = Field("", max_length=100, description="An ID number (exact) or part of a name.")
    village: str = Field("", max_length=12, description="A village or township division code within your scope.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.auth)  # type: ignore[attr-defined]


@router.get("/", response=PersonPageOut, summary="List residents within your scope")
def residents(request: HttpRequest, filters: Query[PersonFilter]) -> PersonPageOut:
    """List the residents the caller's duty reaches, a page at a time; the listing is logged."""
    page, rows = selectors.person_page(
        actor=_actor(request),
        q=filters.q,
        village=filters.village,
        page=filters.page,
        page_size=filters.page_size,
        request=request,
        channel="api",
    )
    return PersonPageOut(
        items=[PersonOut(**row.__dict__) for row in rows],
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        page_size=page.paginator.per_page,
    )


@router.get("/{person_id}", response={200: PersonDetailOut, 404: ErrorOut}, summary="One resident")
def resident(request: HttpRequest, person_id: int) -> PersonDetailOut:
    """Return one resident within the caller's scope; any other is 404, and the attempt is logged."""
    try:
        card = selectors.person_get(actor=_actor(request), person_id=person_id, request=request, channel="api")
    except Person.DoesNotExist:
        raise HttpError(404, "Not Found") from None
    return PersonDetailOut(**card.__dict__)
