"""The /api/outreach/ endpoints: activities and attendance, the shortfall, the notices and the posting proofs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.core.access import access_log
from liangxian.core.errors import error_status
from liangxian.core.keys import as_key
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor

from . import notice as printing
from . import rules, selectors, services
from .models import Activity, CountyNotice, NoticeStatus
from .services import CONFLICT_CODES, FORBIDDEN_CODES, NOT_FOUND_CODES, OutreachError

router = Router(tags=["outreach"])
PAID_LIST = "outreach.paid_list"


class OutreachErrorOut(Schema):
    code: str
    detail: str


ERRORS: dict[int, Any] = {400: OutreachErrorOut, 403: OutreachErrorOut, 404: OutreachErrorOut, 409: OutreachErrorOut}


def _error(exc: OutreachError) -> Status:
    code = error_status(exc.code, forbidden=FORBIDDEN_CODES, not_found=NOT_FOUND_CODES, conflict=CONFLICT_CODES)
    return Status(code, OutreachErrorOut(code=exc.code, detail=exc.message))


def _missing(detail: str = "Not found.") -> Status:
    return Status(404, OutreachErrorOut(code="not_found", detail=detail))


class OutreachAttendanceOut(Schema):
    user_id: int
    username: str
    name: str
    unit: str
    present: bool


class OutreachActivityOut(Schema):
    id: int
    kind: str
    held_on: dt.date
    title: str
    organiser: str
    joint_units: list[str]
    channel: str
    areas: list[str]
    minutes: str
    practice_site: bool
    invited: int
    present: int
    attendance: list[OutreachAttendanceOut] | None = None


class OutreachActivityIn(Schema):
    kind: str = Field(..., max_length=12, description="training, drill, publicity or inspection")
    held_on: dt.date
    title: str = Field(..., max_length=200)
    township_codes: list[str] = Field(default_factory=list, max_length=200)
    village_codes: list[str] = Field(default_factory=list, max_length=2000)
    channel: str = Field("", max_length=12)
    minutes: str = Field("", max_length=20000)
    joint_unit_codes: list[str] = Field(default_factory=list, max_length=20)
    participant_ids: list[int] = Field(default_factory=list, max_length=2000)
    present_ids: list[int] = Field(default_factory=list, max_length=2000)


class OutreachAttendanceIn(Schema):
    present_ids: list[int] = Field(default_factory=list, max_length=2000)
    absent_ids: list[int] = Field(default_factory=list, max_length=2000)


class OutreachActivityQuery(Schema):
    kind: str = Field("", max_length=12)
    year: int | None = Field(None, ge=2000, le=2100)


class OutreachYearQuery(Schema):
    year: int = Field(..., ge=2000, le=2100)


class OutreachCampaignQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="coverage year; the latest campaign when left out")


class OutreachPrintQuery(OutreachCampaignQuery):
    lang: str = Field("zh", pattern="^(zh|ug)$")


class OutreachCountyNoticeIn(Schema):
    complaint_phone: str = Field("", max_length=40)
    channels: list[str] | None = Field(None, max_length=10)
    note: str = Field("", max_length=5000)
    note_ug: str = Field("", max_length=5000)


class OutreachCountyNoticeOut(Schema):
    coverage_year: int
    status: str
    complaint_phone: str
    channels: list[str]
    note: str
    note_ug: str
    period_start: dt.date
    period_end: dt.date
    published_at: dt.datetime | None


class OutreachVillageOut(Schema):
    code: str
    name: str
    paid: int
    proofs: int
    last_proof: dt.datetime | None


class OutreachPaidRowOut(Schema):
    number: int
    name: str = Field(..., description="masked")
    id_number: str = Field(..., description="masked")
    insurances: list[str]


class OutreachPaidListOut(Schema):
    village_code: str
    coverage_year: int
    count: int
    rows: list[OutreachPaidRowOut]


class OutreachProofOut(Schema):
    id: int
    village_code: str
    sha256: str
    content_type: str
    size: int
    posted_on: dt.date
    place: str


def activity_out(a: Activity, *, detail: bool = False) -> OutreachActivityOut:
    attendance = list(a.attendance.all())
    return OutreachActivityOut(
        id=a.pk,
        kind=a.kind,
        held_on=a.held_on,
        title=a.title,
        organiser=a.organiser.code,
        joint_units=[u.code for u in a.joint_units.all()],
        channel=a.channel,
        areas=[str(x) for x in a.areas.all()],
        minutes=a.minutes,
        practice_site=a.practice_site,
        invited=len(attendance),
        present=sum(1 for x in attendance if x.present),
        attendance=[
            OutreachAttendanceOut(
                user_id=x.user_id,
                username=x.user.username,
                name=str(x.user),
                unit=str(x.user.unit or ""),
                present=x.present,
            )
            for x in attendance
        ]
        if detail
        else None,
    )


@router.get("/activities", response=list[OutreachActivityOut], summary="Activities the unit sees (Art 15, 23, 25, 40)")
def activity_list(request: HttpRequest, query: Query[OutreachActivityQuery]) -> list[OutreachActivityOut]:
    rows = selectors.activities_for(request.auth, kind=query.kind, year=query.year)  # type: ignore[attr-defined]
    return [activity_out(a) for a in rows.prefetch_related("attendance")[:2000]]


@router.post("/activities", response={201: OutreachActivityOut, **ERRORS}, summary="Record an activity")
def activity_create(request: HttpRequest, body: OutreachActivityIn) -> Status:
    try:
        a = services.activity_record(by=request.auth, **body.dict())  # type: ignore[attr-defined]
    except OutreachError as exc:
        return _error(exc)
    found = selectors.activity_get(request.auth, a.pk)  # type: ignore[attr-defined]
    return Status(201, activity_out(found or a, detail=True))


@router.get("/activities/{activity_id}", response={200: OutreachActivityOut, **ERRORS}, summary="One activity")
def activity_detail(request: HttpRequest, activity_id: str) -> Status:
    found = selectors.activity_get(request.auth, as_key(activity_id))  # type: ignore[attr-defined]
    if found is None:
        return _missing("No such activity.")
    return Status(200, activity_out(found, detail=True))


@router.post(
    "/activities/{activity_id}/attendance", response={200: OutreachActivityOut, **ERRORS}, summary="Keep attendance"
)
def activity_attendance(request: HttpRequest, activity_id: str, body: OutreachAttendanceIn) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    found = selectors.activity_get(user, as_key(activity_id))
    if found is None:
        return _missing("No such activity.")
    try:
        services.activity_attendance_set(
            by=user, activity=found, present_ids=body.present_ids, absent_ids=body.absent_ids
        )
    except OutreachError as exc:
        return _error(exc)
    return Status(200, activity_out(selectors.activity_get(user, found.pk) or found, detail=True))


@router.get("/shortfall", response={200: dict[str, Any], **ERRORS}, summary="Who falls short of the yearly minimums")
def shortfall(request: HttpRequest, query: Query[OutreachYearQuery]) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    if not (user.is_superuser or services.department_of(user)):
        return Status(403, OutreachErrorOut(code="forbidden", detail="Shown to the county departments."))
    return Status(200, selectors.shortfall_dict(selectors.shortfall(query.year)))


def _campaign(year: int | None) -> Any:
    return services.campaign_of(year)


def _notice_out(n: CountyNotice) -> OutreachCountyNoticeOut:
    return OutreachCountyNoticeOut(
        coverage_year=n.campaign.coverage_year,
        status=n.status,
        complaint_phone=n.complaint_phone,
        channels=list(n.channels),
        note=n.note,
        note_ug=n.note_ug,
        period_start=n.campaign.period_start,
        period_end=n.campaign.period_end,
        published_at=n.published_at,
    )


@router.get("/notices", response={200: list[OutreachVillageOut], **ERRORS}, summary="Villages: paid and posted")
def notice_list(request: HttpRequest, query: Query[OutreachCampaignQuery]) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    if services.village_prefix(user) is None:
        return Status(403, OutreachErrorOut(code="forbidden", detail="Kept by tax, the townships and the villages."))
    try:
        campaign = _campaign(query.year)
    except OutreachError as exc:
        return _error(exc)
    rows = selectors.villages_overview(user, campaign)
    return Status(
        200,
        [
            OutreachVillageOut(code=r.code, name=r.name, paid=r.paid, proofs=r.proofs, last_proof=r.last_proof)
            for r in rows
        ],
    )


@router.get("/notices/county", response={200: OutreachCountyNoticeOut, **ERRORS}, summary="The county notice")
def county_notice(request: HttpRequest, query: Query[OutreachCampaignQuery]) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    try:
        campaign = _campaign(query.year)
    except OutreachError as exc:
        return _error(exc)
    n = CountyNotice.objects.filter(campaign=campaign).select_related("campaign").first()
    if n is None or (n.status != NoticeStatus.PUBLISHED and not services.is_tax(user)):
        return _missing("The county notice is not published.")
    return Status(200, _notice_out(n))


@router.post("/notices/county", response={200: OutreachCountyNoticeOut, **ERRORS}, summary="Draft the county notice")
def county_notice_draft(
    request: HttpRequest, query: Query[OutreachCampaignQuery], body: OutreachCountyNoticeIn
) -> Status:
    try:
        n = services.county_notice_draft(by=request.auth, campaign=_campaign(query.year), **body.dict())  # type: ignore[attr-defined]
    except OutreachError as exc:
        return _error(exc)
    return Status(200, _notice_out(n))


@router.post(
    "/notices/county/publish", response={200: OutreachCountyNoticeOut, **ERRORS}, summary="Publish the county notice"
)
def county_notice_publish(request: HttpRequest, query: Query[OutreachCampaignQuery]) -> Status:
    try:
        n = services.county_notice_publish(by=request.auth, campaign=_campaign(query.year))  # type: ignore[attr-defined]
    except OutreachError as exc:
        return _error(exc)
    return Status(200, _notice_out(n))


@router.get("/notices/county.pdf", response={200: None, **ERRORS}, summary="The county notice as PDF (zh or ug)")
def county_notice_pdf(request: HttpRequest, query: Query[OutreachPrintQuery]) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    try:
        campaign = _campaign(query.year)
    except OutreachError as exc:
        return _error(exc)
    n = CountyNotice.objects.filter(campaign=campaign).select_related("campaign").first()
    if n is None or (n.status != NoticeStatus.PUBLISHED and not services.is_tax(user)):
        return _missing("The county notice is not published.")
    return HttpResponse(printing.county_notice_pdf(n, query.lang), content_type="application/pdf")


def _paid(request: HttpRequest, code: str, year: int | None, action: str, what: str) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    village = selectors.village_visible(user, code)
    if village is None:
        return None, None, None
    campaign = _campaign(year)
    rows = selectors.village_paid(campaign, village.code)
    access_log(
        actor=Actor.of(user),
        action=action,
        object_type=PAID_LIST,
        object_ids=[r.person_id for r in rows if r.person_id],
        count=len(rows),
        query=f"{what} {village.code} {campaign.coverage_year}",
        request=request,
        channel="api",
    )
    return village, campaign, rows


@router.get(
    "/notices/villages/{code}", response={200: OutreachPaidListOut, **ERRORS}, summary="A village's paid list (masked)"
)
def village_paid(request: HttpRequest, code: str, query: Query[OutreachCampaignQuery]) -> Status:
    try:
        village, campaign, rows = _paid(request, code, query.year, AccessAction.VIEW, "paid list")
    except OutreachError as exc:
        return _error(exc)
    if village is None:
        return _missing("No such village within your unit's duty.")
    return Status(
        200,
        OutreachPaidListOut(
            village_code=village.code,
            coverage_year=campaign.coverage_year,
            count=len(rows),
            rows=[
                OutreachPaidRowOut(number=r.number, name=r.name, id_number=r.id_number, insurances=list(r.insurances))
                for r in rows
            ],
        ),
    )


@router.get("/notices/villages/{code}/pdf", response={200: None, **ERRORS}, summary="A village's paid list as PDF")
def village_paid_pdf(request: HttpRequest, code: str, query: Query[OutreachPrintQuery]) -> Any:
    try:
        village, campaign, rows = _paid(request, code, query.year, AccessAction.EXPORT, f"paid list pdf {query.lang}")
    except OutreachError as exc:
        return _error(exc)
    if village is None:
        return _missing("No such village within your unit's duty.")
    n = CountyNotice.objects.filter(campaign=campaign).first()
    data = printing.paid_list_pdf(
        campaign=campaign,
        village=village,
        rows=rows,
        lang=query.lang,
        printed_by=str(request.auth),  # type: ignore[attr-defined]
        phone=n.complaint_phone if n else "",
    )
    return HttpResponse(data, content_type="application/pdf")


@router.post(
    "/notices/villages/{code}/proofs", response={201: OutreachProofOut, **ERRORS}, summary="Upload a posting proof"
)
def proof_upload(
    request: HttpRequest,
    code: str,
    photo: File[UploadedFile],
    year: Form[int | None] = None,
    posted_on: Form[dt.date | None] = None,
    place: Form[str] = "",
) -> Status:
    user = request.auth  # type: ignore[attr-defined]
    village = selectors.village_visible(user, code)
    if village is None:
        return _missing("No such village within your unit's duty.")
    try:
        proof = services.posting_proof_upload(
            by=user,
            campaign=_campaign(year if year and 2000 <= year <= 2100 else None),
            village_code=village.code,
            content=services.read_upload(photo, rules.PHOTO_MAX_BYTES),
            posted_on=posted_on,
            place=(place or "")[:200],
        )
    except OutreachError as exc:
        return _error(exc)
    return Status(
        201,
        OutreachProofOut(
            id=proof.pk,
            village_code=proof.village_code,
            sha256=proof.sha256,
            content_type=proof.content_type,
            size=proof.size,
            posted_on=proof.posted_on,
            place=proof.place,
        ),
    )
