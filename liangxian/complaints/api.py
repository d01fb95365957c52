"""The /api/complaints/ endpoints (Art 24, 43): the same services as the pages; no response carries the reporter's
identity except the reveal, which answers only an assigned investigator and is logged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.errors import error_status
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import User

from . import selectors, services
from .models import Complaint, ComplaintStatus, Inquiry
from .services import CONFLICT_CODES, FORBIDDEN_CODES, NOT_FOUND_CODES, ComplaintError

router = Router(tags=["complaints"])


class ComplaintsErrorOut(Schema):
    code: str
    detail: str


ERRORS: dict[int, Any] = {
    400: ComplaintsErrorOut,
    403: ComplaintsErrorOut,
    404: ComplaintsErrorOut,
    409: ComplaintsErrorOut,
    429: ComplaintsErrorOut,
}


class ComplaintsIntakeIn(Schema):
    via: str = Field(..., max_length=10, description="web, mailbox, email, phone or visit")
    subject: str = Field(..., max_length=200)
    text: str = Field(..., max_length=10000)
    township_code: str = Field("", max_length=12)
    village_code: str = Field("", max_length=12)
    reporter_name: str = Field("", max_length=80)
    reporter_phone: str = Field("", max_length=30)
    reporter_id_number: str = Field("", max_length=40)
    reporter_address: str = Field("", max_length=200)


class ComplaintsIntakeOut(Schema):
    id: int
    number: str
    follow_code: str = Field(..., description="shown this once; only its hash is kept")


class ComplaintsCaseOut(Schema):
    id: int
    number: str
    received_via: str
    received_at: datetime
    receiving_unit: str | None
    subject: str
    township_code: str
    village_code: str
    anonymous: bool
    status: str


class ComplaintsStepOut(Schema):
    id: int
    unit: str
    by: str
    at: datetime
    note: str


class ComplaintsAssignmentOut(Schema):
    investigator: str
    unit: str
    assigned_at: datetime


class ComplaintsCaseDetailOut(ComplaintsCaseOut):
    text: str
    steps: list[ComplaintsStepOut]
    investigators: list[ComplaintsAssignmentOut]
    outcome: str
    public_outcome: str
    concluded_at: datetime | None


class ComplaintsCaseQuery(Schema):
    status: str = Field("", max_length=16)
    q: str = Field("", max_length=40)


class ComplaintsAssignIn(Schema):
    investigator: str = Field(..., max_length=150, description="the investigator's username")


class ComplaintsStepIn(Schema):
    note: str = Field(..., max_length=4000)


class ComplaintsConcludeIn(Schema):
    outcome: str = Field(..., max_length=8000)
    public_outcome: str = Field(..., max_length=2000)


class ComplaintsIdentityOut(Schema):
    number: str
    name: str
    phone: str
    id_number: str
    address: str


class ComplaintsChannelOut(Schema):
    department: str
    label: str
    mailbox: str
    email: str
    phone: str
    hours: str
    mailbox_ug: str
    hours_ug: str


class ComplaintsChannelIn(Schema):
    mailbox: str = Field("", max_length=200)
    email: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)
    hours: str = Field("", max_length=120)
    mailbox_ug: str = Field("", max_length=200)
    hours_ug: str = Field("", max_length=120)


class ComplaintsFollowIn(Schema):
    number: str = Field(..., max_length=20)
    code: str = Field(..., max_length=20)


class ComplaintsFollowOut(Schema):
    number: str
    received_on: date
    status: str
    status_label: str
    public_outcome: str


class ComplaintsInquiryIn(Schema):
    asker: str = Field(..., max_length=120)
    question: str = Field(..., max_length=4000)
    channel: str = Field(..., max_length=10)


class ComplaintsHandoverIn(Schema):
    to: str = Field(..., max_length=150, description="the username it is passed to")
    reason: str = Field(..., max_length=2000)


class ComplaintsAnswerIn(Schema):
    answer: str = Field(..., max_length=4000)


class ComplaintsHandoverOut(Schema):
    from_user: str
    to_user: str
    to_unit: str
    at: datetime
    reason: str


class ComplaintsInquiryOut(Schema):
    id: int
    asker: str
    question: str
    channel: str
    received_by: str
    received_unit: str
    received_at: datetime
    holder: str
    holder_unit: str
    answered_at: datetime | None
    answer: str
    due: date | None = None
    handovers: list[ComplaintsHandoverOut] = []


class ComplaintsInquiryQuery(Schema):
    view: str = Field("mine", max_length=10, description="mine, passed, overdue or all")


def _error(exc: ComplaintError) -> Status:
    code = error_status(
        exc.code,
        forbidden=FORBIDDEN_CODES,
        not_found=NOT_FOUND_CODES,
        conflict=CONFLICT_CODES,
        too_many=("too_many", "locked"),
    )
    return Status(code, ComplaintsErrorOut(code=exc.code, detail=exc.message))


def _not_found() -> Status:
    return Status(404, ComplaintsErrorOut(code="not_found", detail="Not Found"))


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def case_out(c: Complaint) -> ComplaintsCaseOut:
    return ComplaintsCaseOut(
        id=c.pk,
        number=c.number,
        received_via=c.received_via,
        received_at=c.received_at,
        receiving_unit=c.receiving_unit.code if c.receiving_unit else None,
        subject=c.subject,
        township_code=c.township_code,
        village_code=c.village_code,
        anonymous=c.anonymous,
        status=c.status,
    )


def _detail(c: Complaint) -> ComplaintsCaseDetailOut:
    return ComplaintsCaseDetailOut(
        **case_out(c).dict(),
        text=c.text,
        steps=[
            ComplaintsStepOut(id=s.pk, unit=s.unit.code, by=s.by.username, at=s.at, note=s.note)
            for s in c.steps.select_related("unit", "by")
        ],
        investigators=[
            ComplaintsAssignmentOut(
                investigator=a.investigator.username,
                unit=a.investigator.unit.code if a.investigator.unit else "",
                assigned_at=a.assigned_at,
            )
            for a in selectors.active_assignments(c)
        ],
        outcome=c.outcome,
        public_outcome=c.public_outcome,
        concluded_at=c.concluded_at,
    )


def _case(request: HttpRequest, complaint_id: str) -> Complaint | None:
    key = as_key(complaint_id)
    return None if key is None else selectors.case_for(_user(request), key)


@router.post("/intake", response={201: ComplaintsIntakeOut, **ERRORS}, summary="Record a complaint (Art 43)")
def intake(request: HttpRequest, body: ComplaintsIntakeIn) -> Status:
    """Record a complaint received by mailbox, e-mail, phone or visit; the reporter's identity is sealed."""
    try:
        result = services.complaint_receive(
            by=_user(request),
            via=body.via,
            subject=body.subject,
            text=body.text,
            township_code=body.township_code,
            village_code=body.village_code,
            identity={
                "name": body.reporter_name,
                "phone": body.reporter_phone,
                "id_number": body.reporter_id_number,
                "address": body.reporter_address,
            },
        )
    except ComplaintError as exc:
        return _error(exc)
    c = result.complaint
    return Status(201, ComplaintsIntakeOut(id=c.pk, number=c.number, follow_code=result.follow_code))


@router.get("/cases", response=list[ComplaintsCaseOut], summary="The cases you see (never the identity)")
def case_list(request: HttpRequest, query: Query[ComplaintsCaseQuery]) -> list[ComplaintsCaseOut]:
    user = _user(request)
    status = query.status if query.status in ComplaintStatus.values else ""
    rows = list(selectors.complaints_for(user, status=status, query=query.q)[:1000])
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="complaints.complaint",
        object_ids=[c.pk for c in rows],
        duty="supervision",
        request=request,
        channel="api",
    )
    return [case_out(c) for c in rows]


@router.get("/cases/{complaint_id}", response={200: ComplaintsCaseDetailOut, **ERRORS}, summary="A case (no identity)")
def case_detail(request: HttpRequest, complaint_id: str) -> Status:
    c = _case(request, complaint_id)
    if c is None:
        return _not_found()
    access_log(
        actor=Actor.of(_user(request)),
        action=AccessAction.VIEW,
        object_type="complaints.complaint",
        object_ids=[c.pk],
        duty="supervision",
        request=request,
        channel="api",
    )
    return Status(200, _detail(c))


def _investigator(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).select_related("unit").first()


@router.post("/cases/{complaint_id}/assign", response={200: ComplaintsCaseDetailOut, **ERRORS}, summary="Assign")
def assign(request: HttpRequest, complaint_id: str, body: ComplaintsAssignIn) -> Status:
    """Assign an investigator (the discipline or tax head)."""
    c = _case(request, complaint_id)
    investigator = _investigator(body.investigator)
    if c is None or investigator is None:
        return _not_found()
    try:
        services.complaint_assign(by=_user(request), complaint_id=c.pk, investigator=investigator)
    except ComplaintError as exc:
        return _error(exc)
    c.refresh_from_db()
    return Status(200, _detail(c))


@router.post("/cases/{complaint_id}/unassign", response={200: ComplaintsCaseDetailOut, **ERRORS}, summary="Unassign")
def unassign(request: HttpRequest, complaint_id: str, body: ComplaintsAssignIn) -> Status:
    """End an investigator's assignment."""
    c = _case(request, complaint_id)
    investigator = _investigator(body.investigator)
    if c is None or investigator is None:
        return _not_found()
    try:
        services.complaint_unassign(by=_user(request), complaint_id=c.pk, investigator_id=investigator.pk)
    except ComplaintError as exc:
        return _error(exc)
    c.refresh_from_db()
    return Status(200, _detail(c))


@router.post("/cases/{complaint_id}/steps", response={201: ComplaintsStepOut, **ERRORS}, summary="Record a step")
def step(request: HttpRequest, complaint_id: str, body: ComplaintsStepIn) -> Status:
    c = _case(request, complaint_id)
    if c is None:
        return _not_found()
    try:
        s = services.step_record(by=_user(request), complaint_id=c.pk, note=body.note)
    except ComplaintError as exc:
        return _error(exc)
    return Status(201, ComplaintsStepOut(id=s.pk, unit=s.unit.code, by=s.by.username, at=s.at, note=s.note))


@router.post("/cases/{complaint_id}/conclude", response={200: ComplaintsCaseDetailOut, **ERRORS}, summary="Conclude")
def conclude(request: HttpRequest, complaint_id: str, body: ComplaintsConcludeIn) -> Status:
    c = _case(request, complaint_id)
    if c is None:
        return _not_found()
    try:
        done = services.complaint_conclude(
            by=_user(request), complaint_id=c.pk, outcome=body.outcome, public_outcome=body.public_outcome
        )
    except ComplaintError as exc:
        return _error(exc)
    return Status(200, _detail(done))


@router.post(
    "/cases/{complaint_id}/reveal",
    response={200: ComplaintsIdentityOut, **ERRORS},
    summary="Open the reporter's identity (assigned investigators only; logged)",
)
def reveal(request: HttpRequest, complaint_id: str) -> Status:
    key = as_key(complaint_id)
    if key is None:
        return _not_found()
    try:
        identity = services.identity_reveal(
            by=_user(request), complaint_id=key, channel="api", path=request.get_full_path()
        )
    except ComplaintError as exc:
        return _error(exc)
    number = Complaint.objects.filter(pk=key).values_list("number", flat=True).first() or ""
    return Status(200, ComplaintsIdentityOut(number=number, **identity))


def _channel_out(c: Any) -> ComplaintsChannelOut:
    return ComplaintsChannelOut(
        department=c.department,
        label=str(c.get_department_display()),
        mailbox=c.mailbox,
        email=c.email,
        phone=c.phone,
        hours=c.hours,
        mailbox_ug=c.mailbox_ug,
        hours_ug=c.hours_ug,
    )


@router.get("/channels", response=list[ComplaintsChannelOut], summary="The published channels")
def channel_list(request: HttpRequest) -> list[ComplaintsChannelOut]:
    return [_channel_out(c) for c in selectors.channels()]


@router.put("/channels/{department}", response={200: ComplaintsChannelOut, **ERRORS}, summary="Publish our channel")
def channel_update(request: HttpRequest, department: str, body: ComplaintsChannelIn) -> Status:
    try:
        c = services.channel_update(
            by=_user(request),
            department=department[:20],
            mailbox=body.mailbox,
            email=body.email,
            phone=body.phone,
            hours=body.hours,
            mailbox_ug=body.mailbox_ug,
            hours_ug=body.hours_ug,
        )
    except ComplaintError as exc:
        return _error(exc)
    return Status(200, _channel_out(c))


@router.post("/follow", response={200: ComplaintsFollowOut, **ERRORS}, auth=None, summary="Follow a case by code")
def follow(request: HttpRequest, body: ComplaintsFollowIn) -> Status:
    """The reporter's own view of his case: status and the public outcome only."""
    try:
        c = services.public_follow(number=body.number, code=body.code, ip=request.META.get("REMOTE_ADDR") or None)
    except ComplaintError as exc:
        return _error(exc)
    return Status(
        200,
        ComplaintsFollowOut(
            number=c.number,
            received_on=c.received_at.date(),
            status=c.status,
            status_label=str(c.get_status_display()),
            public_outcome=c.public_outcome if c.status == ComplaintStatus.CONCLUDED else "",
        ),
    )


# --- inquiries ------------------------------------------------------------------------------------------------


def inquiry_out(q: Inquiry, due: date | None = None, *, with_handovers: bool = False) -> ComplaintsInquiryOut:
    return ComplaintsInquiryOut(
        id=q.pk,
        asker=q.asker,
        question=q.question,
        channel=q.channel,
        received_by=q.received_by.username,
        received_unit=q.received_unit.code,
        received_at=q.received_at,
        holder=q.holder.username,
        holder_unit=q.holder_unit.code,
        answered_at=q.answered_at,
        answer=q.answer,
        due=due,
        handovers=[
            ComplaintsHandoverOut(
                from_user=h.from_user.username,
                to_user=h.to_user.username,
                to_unit=h.to_unit.code,
                at=h.at,
                reason=h.reason,
            )
            for h in q.handovers.select_related("from_user", "to_user", "to_unit")
        ]
        if with_handovers
        else [],
    )


@router.post("/inquiries", response={201: ComplaintsInquiryOut, **ERRORS}, summary="Record an inquiry (Art 24)")
def inquiry_create(request: HttpRequest, body: ComplaintsInquiryIn) -> Status:
    try:
        q = services.inquiry_record(by=_user(request), asker=body.asker, question=body.question, channel=body.channel)
    except ComplaintError as exc:
        return _error(exc)
    return Status(201, inquiry_out(q))


@router.get(
    "/inquiries", response={200: list[ComplaintsInquiryOut], **ERRORS}, summary="Inquiries: mine, passed, overdue"
)
def inquiry_list(request: HttpRequest, query: Query[ComplaintsInquiryQuery]) -> Status:
    user = _user(request)
    if query.view == "overdue":
        found, _pending = selectors.overdue(selectors.inquiries_for(user))
        out = [inquiry_out(o.inquiry, o.due) for o in found]
    elif query.view == "passed":
        out = [inquiry_out(q, with_handovers=True) for q in selectors.passed_on(user)[:1000]]
    elif query.view == "all":
        out = [inquiry_out(q) for q in selectors.inquiries_for(user)[:1000]]
    elif query.view == "mine":
        out = [inquiry_out(q) for q in selectors.my_open(user)[:1000]]
    else:
        return Status(400, ComplaintsErrorOut(code="bad_view", detail="view is mine, passed, overdue or all"))
    access_log(
        actor=Actor.of(user),
        action=AccessAction.LIST,
        object_type="complaints.inquiry",
        object_ids=[q.id for q in out],
        request=request,
        channel="api",
    )
    return Status(200, out)


def _inquiry(request: HttpRequest, inquiry_id: str) -> Inquiry | None:
    key = as_key(inquiry_id)
    return None if key is None else selectors.inquiries_for(_user(request)).filter(pk=key).first()


@router.get("/inquiries/{inquiry_id}", response={200: ComplaintsInquiryOut, **ERRORS}, summary="An inquiry")
def inquiry_detail(request: HttpRequest, inquiry_id: str) -> Status:
    q = _inquiry(request, inquiry_id)
    if q is None:
        return _not_found()
    return Status(200, inquiry_out(q, with_handovers=True))


@router.post("/inquiries/{inquiry_id}/hand-over", response={200: ComplaintsInquiryOut, **ERRORS}, summary="Pass on")
def inquiry_hand_over(request: HttpRequest, inquiry_id: str, body: ComplaintsHandoverIn) -> Status:
    q = _inquiry(request, inquiry_id)
    to = User.objects.filter(username=body.to, is_active=True).select_related("unit").first()
    if q is None or to is None:
        return _not_found()
    try:
        services.inquiry_hand_over(by=_user(request), inquiry_id=q.pk, to=to, reason=body.reason)
    except ComplaintError as exc:
        return _error(exc)
    q.refresh_from_db()
    return Status(200, inquiry_out(q, with_handovers=True))


@router.post("/inquiries/{inquiry_id}/answer", response={200: ComplaintsInquiryOut, **ERRORS}, summary="Answer")
def inquiry_answer(request: HttpRequest, inquiry_id: str, body: ComplaintsAnswerIn) -> Status:
    q = _inquiry(request, inquiry_id)
    if q is None:
        return _not_found()
    try:
        done = services.inquiry_answer(by=_user(request), inquiry_id=q.pk, answer=body.answer)
    except ComplaintError as exc:
        return _error(exc)
    return Status(200, inquiry_out(done, with_handovers=True))
