"""The residents' API: the same scoped, logged selectors as the pages, for browsers and other systems."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from liangxian.core.scope import Actor

from . import selectors, services
from .models import ChangeRequest, Person, VerificationRequest

if TYPE_CHECKING:
    from liangxian.org.models import Unit

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


class ResidentErrorOut(Schema):
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


# --------------------------------------------------------------------- sources, corrections, verifications


class FactOut(Schema):
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


class CategoryOut(Schema):
    category: str
    detail: str
    dataset: str
    dataset_name: str
    provider: str
    submission_id: int
    version: int | None
    since: datetime
    until: datetime | None


class PersonFactsOut(Schema):
    person: PersonDetailOut
    facts: list[FactOut]
    categories: list[CategoryOut]


class CodedErrorOut(Schema):
    detail: str
    code: str


def _refused(exc: services.RegisterError) -> Status:
    return Status(400, {"code": exc.code, "detail": exc.message})


@router.get(
    "/{person_id}/facts",
    response={200: PersonFactsOut, 404: ResidentErrorOut},
    summary="A resident's facts and sources",
)
def resident_facts(request: HttpRequest, person_id: int) -> PersonFactsOut:
    """Return each fact of a resident with the submission or correction it came from, and the lists he is on."""
    try:
        card, facts, categories = selectors.person_facts(
            actor=_actor(request), person_id=person_id, request=request, channel="api"
        )
    except Person.DoesNotExist:
        raise HttpError(404, "Not Found") from None
    return PersonFactsOut(
        person=PersonDetailOut(**card.__dict__),
        facts=[FactOut(**fact.__dict__) for fact in facts],
        categories=[CategoryOut(**c.__dict__) for c in categories],
    )


class CorrectionIn(Schema):
    changes: dict[str, str] = Field(description="Field → corrected value (dates as YYYY-MM-DD).")
    reason: str = Field(max_length=2000)


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=2000)


class CorrectionOut(Schema):
    id: int
    person_id: int
    changes: dict[str, list[str]]
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


def _correction_out(cr: ChangeRequest) -> CorrectionOut:
    return CorrectionOut(
        id=cr.pk,
        person_id=cr.person_id,
        changes=cr.changes,
        reason=cr.reason,
        status=cr.status,
        requested_by=str(cr.requested_by),
        requested_at=cr.requested_at,
        decided_by=str(cr.decided_by) if cr.decided_by_id else None,
        decided_at=cr.decided_at,
        decision_note=cr.decision_note,
    )


@router.get("/corrections", response=list[CorrectionOut], summary="Corrections of residents within your scope")
def corrections(request: HttpRequest, status: str = "") -> list[CorrectionOut]:
    """List the corrections of residents within the caller's scope, newest first (at most 200)."""
    rows = selectors.correction_list(actor=_actor(request), status=status or None)[:200]
    return [_correction_out(cr) for cr in rows]


@router.post(
    "/{person_id}/corrections",
    response={201: CorrectionOut, 400: CodedErrorOut, 404: ResidentErrorOut},
    summary="Ask for a correction of a resident's record",
)
def correction_create(request: HttpRequest, person_id: int, body: CorrectionIn) -> Status | CorrectionOut:
    """Ask for a correction; it is applied only once another authorised user approves it."""
    person = selectors.person_scope(actor=_actor(request)).filter(pk=person_id).first()
    if person is None:
        raise HttpError(404, "Not Found")
    try:
        cr = services.change_request_create(actor=request.auth, person=person, changes=body.changes, reason=body.reason)  # type: ignore[attr-defined]
    except services.RegisterError as exc:
        return _refused(exc)
    return Status(201, _correction_out(cr))


@router.post(
    "/corrections/{request_id}/decide",
    response={200: CorrectionOut, 400: CodedErrorOut, 404: ResidentErrorOut},
    summary="Approve or reject a correction",
)
def correction_decide(request: HttpRequest, request_id: int, body: DecisionIn) -> Status | CorrectionOut:
    """Approve (and apply) or reject a correction: another user, of public security for identity fields."""
    try:
        cr = selectors.correction_get(actor=_actor(request), request_id=request_id)
    except ChangeRequest.DoesNotExist:
        raise HttpError(404, "Not Found") from None
    try:
        cr = services.change_request_decide(actor=request.auth, request=cr, approve=body.approve, note=body.note)  # type: ignore[attr-defined]
    except services.RegisterError as exc:
        return _refused(exc)
    return _correction_out(cr)


class VerificationIn(Schema):
    target: str = Field(description="Code of the unit asked.", max_length=40)
    question: str = Field(max_length=4000)
    id_numbers: list[str] = Field(default_factory=list, max_length=1000)
    owner: str = Field("", description="Username of the owner in the asked unit; its data contact if blank.")


class AnswerIn(Schema):
    answer: str = Field(max_length=4000)


class EscalateIn(Schema):
    reason: str = Field(max_length=4000)
    target: str = Field("", description="Code of the unit one level up; blank: the asked unit carries it on.")


class VerificationOut(Schema):
    id: int
    requester: str
    target: str
    level: str
    question: str
    id_numbers: list[str]
    owner: str
    asked_by: str
    asked_at: datetime
    status: str
    answer: str
    answered_at: datetime | None
    escalated_from: int | None
    chain_level: str = Field(description="Level where the request's chain stands now.")
    chain_status: str
    chain_answer: str
    seconds_taken: int = Field(description="From the first question to the final answer, or until now while open.")


def _verification_out(req: VerificationRequest) -> VerificationOut:
    track = selectors.verification_track(req)
    return VerificationOut(
        id=req.pk,
        requester=req.requester.code,
        target=req.target.code,
        level=req.level,
        question=req.question,
        id_numbers=req.id_numbers,
        owner=req.owner.username,
        asked_by=req.asked_by.username,
        asked_at=req.asked_at,
        status=req.status,
        answer=req.answer,
        answered_at=req.answered_at,
        escalated_from=req.escalated_from_id,
        chain_level=track.level,
        chain_status=track.status,
        chain_answer=track.answer,
        seconds_taken=int(track.taken.total_seconds()) if track.taken else 0,
    )


@router.get("/verifications", response=list[VerificationOut], summary="Verification requests of your unit")
def verifications(request: HttpRequest, status: str = "", role: str = "") -> list[VerificationOut]:
    """List the requests the caller's unit asked (role=asked) or received (role=received), newest first."""
    rows = selectors.verification_list(actor=_actor(request), status=status or None, role=role or None)[:200]
    return [_verification_out(r) for r in rows]


def _unit(code: str) -> Unit:

    from liangxian.org.models import Unit

    unit = Unit.objects.filter(code=code, active=True).first()
    if unit is None:
        raise HttpError(404, "Not Found")
    return unit


@router.post(
    "/verifications",
    response={201: VerificationOut, 400: CodedErrorOut, 404: ResidentErrorOut},
    summary="Ask another unit to verify persons",
)
def verification_create(request: HttpRequest, body: VerificationIn) -> Status | VerificationOut:
    """Ask another department to check particular persons (Art 6, 12)."""
    from liangxian.org.models import User

    target = _unit(body.target)
    owner = User.objects.filter(username=body.owner).first() if body.owner else None
    try:
        req = services.verification_request_create(
            actor=request.auth,  # type: ignore[attr-defined]
            target=target,
            question=body.question,
            id_numbers=body.id_numbers,
            owner=owner,
        )
    except services.RegisterError as exc:
        return _refused(exc)
    return Status(201, _verification_out(req))


def _verification(request: HttpRequest, request_id: int) -> VerificationRequest:
    found = selectors.verification_scope(actor=_actor(request)).filter(pk=request_id).first()
    if found is None:
        raise HttpError(404, "Not Found")
    return found


@router.post(
    "/verifications/{request_id}/answer",
    response={200: VerificationOut, 400: CodedErrorOut, 404: ResidentErrorOut},
    summary="Answer a verification request",
)
def verification_answer(request: HttpRequest, request_id: int, body: AnswerIn) -> Status | VerificationOut:
    """Record the asked unit's answer; the time it took is kept."""
    try:
        req = services.verification_request_answer(
            actor=request.auth,  # type: ignore[attr-defined]
            request=_verification(request, request_id),
            answer=body.answer,
        )
    except services.RegisterError as exc:
        return _refused(exc)
    return _verification_out(req)


@router.post(
    "/verifications/{request_id}/escalate",
    response={201: VerificationOut, 400: CodedErrorOut, 404: ResidentErrorOut},
    summary="Escalate a verification request one level up",
)
def verification_escalate(request: HttpRequest, request_id: int, body: EscalateIn) -> Status | VerificationOut:
    """Pass a request the county cannot answer one level up, as a new linked request (Art 12)."""
    target = _unit(body.target) if body.target else None
    try:
        req = services.verification_request_escalate(
            actor=request.auth,  # type: ignore[attr-defined]
            request=_verification(request, request_id),
            reason=body.reason,
            target=target,
        )
    except services.RegisterError as exc:
        return _refused(exc)
    return Status(201, _verification_out(req))


class UsageOut(Schema):
    at: datetime
    user: str
    unit_code: str
    duty: str
    action: str
    channel: str
    matched: int
    logged: int
    partial: bool


class UsagePageOut(Schema):
    items: list[UsageOut]
    entries: int
    persons: int
    provided: int


@router.get("/usage", response=UsagePageOut, summary="Who used the residents your unit provided (Art 21)")
def usage(request: HttpRequest, days: int = 30) -> UsagePageOut:
    """List who viewed or exported the persons of your unit's lists, and for which duty, over the last days."""
    user = request.auth  # type: ignore[attr-defined]
    if user.unit_id is None:
        raise HttpError(404, "Not Found")
    rows, totals = selectors.provider_usage(
        actor=_actor(request), unit_id=user.unit_id, since=timezone.now() - timedelta(days=max(1, min(days, 366)))
    )
    return UsagePageOut(items=[UsageOut(**r.__dict__) for r in rows], **totals)


# Last: a fixed path above (corrections, verifications, usage) must not be taken for a resident's id.
@router.get("/{person_id}", response={200: PersonDetailOut, 404: ResidentErrorOut}, summary="One resident")
def resident(request: HttpRequest, person_id: int) -> PersonDetailOut:
    """Return one resident within the caller's scope; any other is 404, and the attempt is logged."""
    try:
        card = selectors.person_get(actor=_actor(request), person_id=person_id, request=request, channel="api")
    except Person.DoesNotExist:
        raise HttpError(404, "Not Found") from None
    return PersonDetailOut(**card.__dict__)
