"""The finance API under /api/finance/… (Art 9): the same services, scope and access log as the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from liangxian.org.models import User

from . import selectors, services, statements
from .models import DaijiaoApplication, FundAccount, Transfer
from .services import FinanceError

router = Router(tags=["finance"])


class FinanceErrorOut(Schema):
    code: str
    detail: str


ERRORS = {400: FinanceErrorOut, 403: FinanceErrorOut, 404: FinanceErrorOut, 409: FinanceErrorOut}


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _error(exc: FinanceError) -> Status:
    status = 403 if exc.code == "forbidden" else 404 if exc.code.startswith("no_") else 400
    if exc.code in ("not_draft", "not_submitted", "not_approved", "nothing_owed"):
        status = 409
    return Status(status, FinanceErrorOut(code=exc.code, detail=exc.message))


class FinanceAccountOut(Schema):
    id: int
    insurance: str
    kind: str
    name: str
    bank: str
    number: str


class AccountIn(Schema):
    name: str = Field(max_length=120)
    bank: str = Field("", max_length=120)
    number: str = Field(max_length=40)


class OwedOut(Schema):
    insurance: str
    category: str
    label: str
    persons: int
    owed_fen: int


class ApplicationOut(Schema):
    number: str
    coverage_year: int
    insurance: str
    status: str
    persons: int
    owed_fen: int
    approved_fen: int | None
    paid_fen: int
    paid_persons: int
    lines: list[OwedOut]
    batches: list[str]


class FinanceApproveIn(Schema):
    approved: Decimal | None = Field(None, description="Yuan approved; the amount owed when omitted.")
    note: str = Field("", max_length=500)


class BatchOut(Schema):
    batch_no: str
    persons: int
    amount_fen: int
    sha256: str
    content: str = Field(description="The gov-channel csv collection imports.")


class ReconcileOut(Schema):
    application: str
    status: str
    owed_fen: int
    paid_fen: int
    paid_persons: int
    not_covered: int
    not_covered_fen: int
    batches: list[str]


class TransferIn(Schema):
    flow: str
    insurance: str
    amount: Decimal = Field(description='Yuan, e.g. "1500.00".')
    value_date: date
    reference: str = Field("", max_length=60)
    coverage_year: int | None = None
    from_account_id: int | None = None
    note: str = Field("", max_length=200)


class FinanceTransferOut(Schema):
    id: int
    flow: str
    insurance: str
    to_account: str
    amount_fen: int
    value_date: date
    reference: str
    coverage_year: int | None
    matched: bool


class StatementOut(Schema):
    id: int
    repeat: bool
    format: str
    lines: int
    rejected: list[dict[str, Any]]
    unmatched_lines: list[dict[str, Any]]
    unmatched_transfers: list[dict[str, Any]]


class PersonsOut(Schema):
    what: str
    total: int
    total_fen: int
    page: int
    pages: int
    rows: list[dict[str, Any]] = Field(description="ID numbers masked.")


def _app_out(app: DaijiaoApplication) -> ApplicationOut:
    return ApplicationOut(
        number=app.number,
        coverage_year=app.coverage_year,
        insurance=app.insurance,
        status=app.status,
        persons=app.persons,
        owed_fen=app.owed_fen,
        approved_fen=app.approved_fen,
        paid_fen=app.paid_fen,
        paid_persons=app.paid_persons,
        lines=[
            OwedOut(insurance=app.insurance, category=x.category, label=x.label, persons=x.persons, owed_fen=x.owed_fen)
            for x in app.lines.all()
        ],
        batches=list(app.batches.values_list("batch_no", flat=True)),
    )


def _transfer_out(t: Transfer) -> FinanceTransferOut:
    return FinanceTransferOut(
        id=t.pk,
        flow=t.flow,
        insurance=t.insurance,
        to_account=t.to_account.number,
        amount_fen=t.amount_fen,
        value_date=t.value_date,
        reference=t.reference,
        coverage_year=t.coverage_year,
        matched=hasattr(t, "statement_line"),
    )


@router.get(
    "/accounts", response={200: list[FinanceAccountOut], **ERRORS}, summary="The fund accounts per insurance type"
)
def accounts(request: HttpRequest) -> Any:
    try:
        services.require_read(_user(request))
    except FinanceError as exc:
        return _error(exc)
    return [
        FinanceAccountOut(**{k: getattr(a, k) for k in FinanceAccountOut.model_fields})
        for a in FundAccount.objects.all()
    ]


@router.post(
    "/accounts/seed", response={200: list[FinanceAccountOut], **ERRORS}, summary="Create the six accounts missing"
)
def accounts_seed(request: HttpRequest) -> Any:
    try:
        rows = services.accounts_seed(by=_user(request))
    except FinanceError as exc:
        return _error(exc)
    return [FinanceAccountOut(**{k: getattr(a, k) for k in FinanceAccountOut.model_fields}) for a in rows]


@router.put("/accounts/{account_id}", response={200: FinanceAccountOut, **ERRORS}, summary="Edit an account")
def account_update(request: HttpRequest, account_id: int, body: AccountIn) -> Any:
    try:
        a = services.account_update(
            by=_user(request), account_id=account_id, name=body.name, bank=body.bank, number=body.number
        )
    except FinanceError as exc:
        return _error(exc)
    return FinanceAccountOut(**{k: getattr(a, k) for k in FinanceAccountOut.model_fields})


@router.get("/owed", response={200: list[OwedOut], **ERRORS}, summary="代缴 owed per insurance type and category")
def owed(request: HttpRequest, year: int, insurance: str | None = None) -> Any:
    try:
        services.require_read(_user(request))
        return [OwedOut(**x.as_dict()) for x in services.daijiao_owed(year, insurance)]
    except FinanceError as exc:
        return _error(exc)


class DrawIn(Schema):
    year: int = Field(ge=2000, le=2100)
    insurance: str


@router.post(
    "/applications", response={201: ApplicationOut, **ERRORS}, summary="Draw up (or redraw) a 代缴 application"
)
def application_draw(request: HttpRequest, body: DrawIn) -> Any:
    try:
        app = services.application_draw(by=_user(request), year=body.year, insurance=body.insurance)
        return Status(201, _app_out(app))
    except FinanceError as exc:
        return _error(exc)


@router.get("/applications/{number}", response={200: ApplicationOut, **ERRORS}, summary="A 代缴 application")
def application_get(request: HttpRequest, number: str) -> Any:
    try:
        services.require_read(_user(request))
        return _app_out(services.application_get(number))
    except FinanceError as exc:
        return _error(exc)


@router.post("/applications/{number}/submit", response={200: ApplicationOut, **ERRORS}, summary="Submit it")
def application_submit(request: HttpRequest, number: str) -> Any:
    try:
        return _app_out(services.application_submit(by=_user(request), application_id=number))
    except FinanceError as exc:
        return _error(exc)


@router.post("/applications/{number}/approve", response={200: ApplicationOut, **ERRORS}, summary="Record its approval")
def application_approve(request: HttpRequest, number: str, body: FinanceApproveIn) -> Any:
    try:
        amount = services.parse_fen(body.approved, "approved") if body.approved is not None else None
        app = services.application_approve(
            by=_user(request), application_id=number, approved_fen=amount, note=body.note
        )
        return _app_out(app)
    except FinanceError as exc:
        return _error(exc)


@router.post("/applications/{number}/batch", response={201: BatchOut, **ERRORS}, summary="Produce the 代缴 batch file")
def batch_produce(request: HttpRequest, number: str) -> Any:
    try:
        b = services.batch_produce(by=_user(request), application_id=number)
    except FinanceError as exc:
        return _error(exc)
    return Status(
        201,
        BatchOut(batch_no=b.batch_no, persons=b.persons, amount_fen=b.amount_fen, sha256=b.sha256, content=b.content),
    )


@router.post(
    "/applications/{number}/reconcile", response={200: ReconcileOut, **ERRORS}, summary="Compare paid with owed"
)
def application_reconcile(request: HttpRequest, number: str) -> Any:
    try:
        return ReconcileOut(**services.application_reconcile(by=_user(request), application_id=number).as_dict())
    except FinanceError as exc:
        return _error(exc)


@router.get("/subsidies", response={200: list[dict[str, Any]], **ERRORS}, summary="Subsidies from the paid persons")
def subsidies(request: HttpRequest, year: int) -> Any:
    try:
        services.require_read(_user(request))
        return [services.subsidy_summary(year, i) for i in ("medical", "pension")]
    except FinanceError as exc:
        return _error(exc)


@router.get("/transfers", response={200: list[FinanceTransferOut], **ERRORS}, summary="Recorded transfers")
def transfers(request: HttpRequest, year: int | None = None) -> Any:
    try:
        services.require_read(_user(request))
    except FinanceError as exc:
        return _error(exc)
    qs = Transfer.objects.select_related("to_account")
    if year:
        qs = qs.filter(coverage_year=year)
    return [_transfer_out(t) for t in qs[:500]]


@router.post(
    "/transfers", response={201: FinanceTransferOut, **ERRORS}, summary="Record a transfer to a fiscal special account"
)
def transfer_create(request: HttpRequest, body: TransferIn) -> Any:
    try:
        t = services.transfer_record(
            by=_user(request),
            flow=body.flow,
            insurance=body.insurance,
            amount_fen=services.parse_fen(body.amount, "amount"),
            value_date=body.value_date,
            reference=body.reference,
            coverage_year=body.coverage_year,
            from_account_id=body.from_account_id,
            note=body.note,
        )
    except FinanceError as exc:
        return _error(exc)
    return Status(201, _transfer_out(Transfer.objects.select_related("to_account").get(pk=t.pk)))


@router.post(
    "/accounts/{account_id}/statements", response={201: StatementOut, **ERRORS}, summary="Import a bank statement"
)
def statement_import(request: HttpRequest, account_id: int, file: File[UploadedFile]) -> Any:
    try:
        result = statements.statement_import(
            by=_user(request), account_id=account_id, data=file.read(), filename=file.name or "statement"
        )
    except FinanceError as exc:
        return _error(exc)
    left = statements.unmatched(account_id)
    s = result.statement
    return Status(
        201,
        StatementOut(
            id=s.pk,
            repeat=result.repeat,
            format=s.format,
            lines=s.counts.get("lines", 0),
            rejected=s.counts.get("rejected", []),
            unmatched_lines=[
                {"date": x.value_date, "amount_fen": x.amount_fen, "reference": x.reference} for x in left["lines"]
            ],
            unmatched_transfers=[
                {"id": t.pk, "date": t.value_date, "amount_fen": t.amount_fen, "reference": t.reference}
                for t in left["transfers"]
            ],
        ),
    )


@router.get(
    "/overview", response={200: dict[str, Any], **ERRORS}, summary="Owed, applied, received, transferred; the check"
)
def overview(request: HttpRequest, year: int, insurance: str) -> Any:
    try:
        services.require_read(_user(request))
        view = selectors.overview(year, insurance)
    except FinanceError as exc:
        return _error(exc)
    return {
        "year": year,
        "insurance": insurance,
        "ok": view["ok"],
        "flows": view["flows"],
        "owed_lines": [x.as_dict() for x in view["owed_lines"]],
        "checks": [c.as_dict() for c in view["checks"]],
    }


@router.get("/persons", response={200: PersonsOut, **ERRORS}, summary="The persons or payments behind a figure")
def persons(request: HttpRequest, year: int, insurance: str, what: str, category: str = "", page: int = 1) -> Any:
    try:
        result = selectors.persons_page(
            user=_user(request),
            year=year,
            insurance=insurance,
            what=what,
            category=category,
            page=page,
            request=request,
            channel="api",
        )
    except FinanceError as exc:
        return _error(exc)
    return PersonsOut(
        what=result.what,
        total=result.total,
        total_fen=result.total_fen,
        page=result.page,
        pages=result.pages,
        rows=result.rows,
    )


class RateRow(Schema):
    from_tier: Decimal = Field(description="Yuan: the tier from which the subsidy applies (0 for the lowest).")
    rate: Decimal = Field(description="Yuan per payer a year.")


class RatesOut(Schema):
    coverage_year: int
    insurance: str
    rows: list[dict[str, int]]


def _rates_out(year: int, insurance: str) -> RatesOut:
    return RatesOut(
        coverage_year=year,
        insurance=insurance,
        rows=[{"from_tier_fen": t, "rate_fen": r} for t, r in services.rates_of(year, insurance)],
    )


@router.get("/rates/{year}/{insurance}", response={200: RatesOut, **ERRORS}, summary="A year's subsidy standard")
def rates(request: HttpRequest, year: int, insurance: str) -> Any:
    try:
        services.require_read(_user(request))
        services._insurance(insurance)
    except FinanceError as exc:
        return _error(exc)
    return _rates_out(year, insurance)


@router.put("/rates/{year}/{insurance}", response={200: RatesOut, **ERRORS}, summary="Set a year's subsidy standard")
def rates_set(request: HttpRequest, year: int, insurance: str, body: list[RateRow]) -> Any:
    try:
        rows = [(services.parse_fen(x.from_tier, "tier"), services.parse_fen(x.rate, "rate")) for x in body]
        services.rates_set(by=_user(request), year=year, insurance=insurance, rows=rows)
    except FinanceError as exc:
        return _error(exc)
    return _rates_out(year, insurance)


@router.post("/subsidies/{year}/record", response={200: list[dict[str, Any]], **ERRORS}, summary="Keep the figures")
def subsidies_record(request: HttpRequest, year: int) -> Any:
    try:
        figures = services.subsidy_record(by=_user(request), year=year)
    except FinanceError as exc:
        return _error(exc)
    return [{"insurance": f.insurance, "persons": f.persons, "amount_fen": f.amount_fen} for f in figures]


class FundRequestOut(Schema):
    coverage_year: int
    status: str
    lines: list[dict[str, Any]]


class FundApproveIn(Schema):
    approved: dict[str, Decimal] = Field(
        default_factory=dict, description='Yuan per "flow:insurance", e.g. {"subsidy:medical": "8000000.00"}.'
    )
    note: str = Field("", max_length=500)


def _request_out(year: int) -> FundRequestOut:
    req = services._fundrequest(year)
    return FundRequestOut(
        coverage_year=year,
        status=req.status,
        lines=[
            {
                "flow": x.flow,
                "insurance": x.insurance,
                "persons": x.persons,
                "estimated_fen": x.estimated_fen,
                "approved_fen": x.approved_fen,
            }
            for x in req.lines.all()
        ],
    )


@router.get("/fundrequests/{year}", response={200: FundRequestOut, **ERRORS}, summary="The yearly application")
def fundrequest(request: HttpRequest, year: int) -> Any:
    try:
        services.require_read(_user(request))
        return _request_out(year)
    except FinanceError as exc:
        return _error(exc)


@router.post("/fundrequests/{year}/approve", response={200: FundRequestOut, **ERRORS}, summary="Record the approval")
def fundrequest_approve(request: HttpRequest, year: int, body: FundApproveIn) -> Any:
    try:
        approved = {}
        for key, value in body.approved.items():
            flow, _sep, insurance = key.partition(":")
            approved[(flow, insurance)] = services.parse_fen(value, key)
        services.fundrequest_approve(by=_user(request), year=year, approved=approved, note=body.note)
        return _request_out(year)
    except FinanceError as exc:
        return _error(exc)


@router.post("/fundrequests/{year}/{step}", response={200: FundRequestOut, **ERRORS}, summary="Draw up or submit")
def fundrequest_step(request: HttpRequest, year: int, step: str) -> Any:
    user = _user(request)
    try:
        if step == "draw":
            services.fundrequest_draw(by=user, year=year)
        elif step == "submit":
            services.fundrequest_submit(by=user, year=year)
        else:
            raise FinanceError("bad_step", _("The step is draw or submit."))
        return _request_out(year)
    except FinanceError as exc:
        return _error(exc)


@router.get(
    "/accounts/{account_id}/unmatched", response={200: dict[str, Any], **ERRORS}, summary="Unmatched both sides"
)
def unmatched(request: HttpRequest, account_id: int) -> Any:
    try:
        services.require_read(_user(request))
    except FinanceError as exc:
        return _error(exc)
    account = FundAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise HttpError(404, "Not Found")
    left = statements.unmatched(account.pk)
    return {
        "lines": [
            {"date": x.value_date, "amount_fen": x.amount_fen, "reference": x.reference, "description": x.description}
            for x in left["lines"]
        ],
        "transfers": [
            {"id": t.pk, "flow": t.flow, "date": t.value_date, "amount_fen": t.amount_fen, "reference": t.reference}
            for t in left["transfers"]
        ],
    }
