"""Finance's pages under /finance/ (Art 9): the overview per coverage year and insurance type with its checks and
drill-down, the accounts, the 代缴 applications and batches, subsidies and the yearly application for funds, the
transfers and the bank statements. Finance acts; the county's leaders read."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liangxian.campaigns.models import InsuranceType
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import User

from . import selectors, services, statements
from .models import (
    BankStatement,
    DaijiaoApplication,
    DaijiaoBatch,
    Flow,
    FundAccount,
    FundRequest,
    SubsidyFigure,
    Transfer,
)
from .services import FinanceError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reader(request: HttpRequest) -> User:
    user = _user(request)
    if not services.may_read(user):
        raise PermissionDenied(_("Only the finance bureau and the county's leaders see the fiscal funds."))
    return user


def _year(request: HttpRequest) -> int:
    years = services.years()
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year if year in years else (years[0] if years else date.today().year)


def _insurance(request: HttpRequest) -> str:
    value = request.GET.get("insurance") or request.POST.get("insurance") or "medical"
    return value if value in InsuranceType.values else "medical"


def _base(request: HttpRequest, user: User, **extra: Any) -> dict[str, Any]:
    return {
        "years": services.years(),
        "insurances": InsuranceType.choices,
        "may_act": services.is_finance(user),
        **extra,
    }


def _back(name: str, year: int, insurance: str = "") -> HttpResponse:
    query = f"?year={year}" + (f"&insurance={insurance}" if insurance else "")
    return redirect(reverse(f"finance:{name}") + query)


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Per coverage year and insurance type: each flow's owed / applied / received / transferred, and the checks."""
    user = _reader(request)
    year, insurance = _year(request), _insurance(request)
    try:
        view = selectors.overview(year, insurance)
    except FinanceError as exc:
        messages.error(request, exc.message)
        view = None
    return render(request, "finance/overview.html", _base(request, user, year=year, insurance=insurance, view=view))


@require_GET
@login_required
def persons(request: HttpRequest) -> HttpResponse:
    """The persons or payments behind a figure: paged, ID numbers masked, the look logged."""
    user = _reader(request)
    year, insurance = _year(request), _insurance(request)
    what = request.GET.get("what") or "owed"
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    try:
        result = selectors.persons_page(
            user=user,
            year=year,
            insurance=insurance,
            what=what,
            category=(request.GET.get("category") or "")[:40],
            page=page,
            request=request,
        )
    except FinanceError as exc:
        raise PermissionDenied(exc.message) from exc
    titles = {
        "owed": _("Persons the government pays for (owed on behalf)"),
        "not_covered": _("Persons owed on behalf not yet covered"),
        "gov_paid": _("Payments on behalf received"),
        "subsidy": _("Paid persons and their subsidy"),
        "contributions": _("Contributions paid (net of refunds and reversals)"),
    }
    return render(
        request,
        "finance/persons.html",
        _base(
            request,
            user,
            year=year,
            insurance=insurance,
            what=what,
            title=titles.get(what, what),
            result=result,
            category=request.GET.get("category") or "",
            payments=what in ("gov_paid", "contributions"),
        ),
    )


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    """The six accounts, named per insurance type; finance edits them."""
    user = _reader(request)
    if request.method == "POST":
        try:
            if request.POST.get("seed"):
                services.accounts_seed(by=user)
                messages.success(request, _("The accounts are set up."))
            else:
                services.account_update(
                    by=user,
                    account_id=int(request.POST.get("account") or 0),
                    name=request.POST.get("name") or "",
                    bank=request.POST.get("bank") or "",
                    number=request.POST.get("number") or "",
                )
                messages.success(request, _("The account is saved."))
        except FinanceError as exc:
            messages.error(request, exc.message)
        return redirect("finance:accounts")
    return render(request, "finance/accounts.html", _base(request, user, accounts=FundAccount.objects.all()))


@require_GET
@login_required
def applications(request: HttpRequest) -> HttpResponse:
    """The 代缴 applications of a year: owed per category, the lifecycle, the batches and what they paid."""
    user = _reader(request)
    year = _year(request)
    rows = []
    for insurance, label in InsuranceType.choices:
        app = DaijiaoApplication.objects.filter(coverage_year=year, insurance=insurance).first()
        try:
            owed = services.daijiao_owed(year, insurance)
            missing = services.not_covered_frame(year, insurance).height if app and app.status == "paid" else None
        except FinanceError:
            owed, missing = [], None
        rows.append({"insurance": insurance, "label": label, "app": app, "owed": owed, "missing": missing})
    return render(request, "finance/applications.html", _base(request, user, year=year, rows=rows))


@require_POST
@login_required
def application_act(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    year, insurance = _year(request), _insurance(request)
    step = request.POST.get("step") or ""
    try:
        if step == "draw":
            services.application_draw(by=user, year=year, insurance=insurance)
            messages.success(request, _("The application is drawn up from the roster."))
        else:
            app = DaijiaoApplication.objects.filter(coverage_year=year, insurance=insurance).first()
            if app is None:
                raise FinanceError("no_application", _("No such on-behalf application."))
            if step == "submit":
                services.application_submit(by=user, application_id=app.pk)
                messages.success(request, _("The application is submitted."))
            elif step == "approve":
                text = (request.POST.get("approved") or "").strip()
                amount = services.parse_fen(text, _("The amount approved")) if text else None
                services.application_approve(by=user, application_id=app.pk, approved_fen=amount)
                messages.success(request, _("The approval is recorded."))
            elif step == "batch":
                batch = services.batch_produce(by=user, application_id=app.pk)
                messages.success(request, _("Batch %(batch)s is ready for collection.") % {"batch": batch.batch_no})
            elif step == "reconcile":
                rec = services.application_reconcile(by=user, application_id=app.pk)
                messages.success(
                    request,
                    _("Paid %(paid)s of %(owed)s yuan; %(n)s persons not covered.")
                    % {"paid": services.yuan(rec.paid_fen), "owed": services.yuan(rec.owed_fen), "n": rec.not_covered},
                )
    except FinanceError as exc:
        messages.error(request, exc.message)
    return _back("applications", year)


@require_GET
@login_required
def batch_file(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Download a 代缴 batch file (names and ID numbers of the persons paid for: logged)."""
    user = _user(request)
    if not services.is_finance(user):
        raise PermissionDenied(_("Only the finance bureau may do this."))
    batch = get_object_or_404(DaijiaoBatch, pk=batch_id)
    access_log(
        actor=Actor.of(user),
        action=AccessAction.EXPORT,
        object_type="finance.daijiao_batch",
        object_ids=[batch.batch_no],
        count=batch.persons,
        duty=services.DUTY,
        request=request,
    )
    response = HttpResponse(batch.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch.batch_no}.csv"'
    return response


@login_required
def subsidies(request: HttpRequest) -> HttpResponse:
    """The year's subsidy standard (editable), the subsidies of the paid persons, and the yearly application."""
    user = _reader(request)
    year = _year(request)
    if request.method == "POST":
        step = request.POST.get("step") or ""
        try:
            if step == "seed":
                services.rates_seed(by=user, year=year)
            elif step == "rates":
                insurance = _insurance(request)
                rows = []
                for n in range(8):
                    tier, rate = (
                        (request.POST.get(f"tier_{n}") or "").strip(),
                        (request.POST.get(f"rate_{n}") or "").strip(),
                    )
                    if tier or rate:
                        rows.append(
                            (services.parse_fen(tier or "0", _("The tier")), services.parse_fen(rate, _("The subsidy")))
                        )
                services.rates_set(by=user, year=year, insurance=insurance, rows=rows)
            elif step == "record":
                services.subsidy_record(by=user, year=year)
            elif step == "draw":
                services.fundrequest_draw(by=user, year=year)
            elif step == "submit":
                services.fundrequest_submit(by=user, year=year)
            elif step == "approve":
                approved = {}
                for flow in (Flow.ON_BEHALF, Flow.SUBSIDY):
                    for insurance in InsuranceType.values:
                        text = (request.POST.get(f"approved_{flow}_{insurance}") or "").strip()
                        if text:
                            approved[(flow.value, insurance)] = services.parse_fen(text, _("The amount approved"))
                services.fundrequest_approve(by=user, year=year, approved=approved)
            messages.success(request, _("Saved."))
        except FinanceError as exc:
            messages.error(request, exc.message)
        return _back("subsidies", year)
    summaries = []
    for insurance, label in InsuranceType.choices:
        try:
            summary = services.subsidy_summary(year, insurance)
        except FinanceError:
            summary = None
        summaries.append(
            {
                "insurance": insurance,
                "label": label,
                "rates": services.rates_of(year, insurance),
                "summary": summary,
                "figure": SubsidyFigure.objects.filter(coverage_year=year, insurance=insurance).first(),
            }
        )
    return render(
        request,
        "finance/subsidies.html",
        _base(
            request,
            user,
            year=year,
            summaries=summaries,
            request_obj=FundRequest.objects.filter(coverage_year=year).prefetch_related("lines").first(),
            blank_rows=range(8),
        ),
    )


@login_required
def transfers(request: HttpRequest) -> HttpResponse:
    """Transfers of each flow to each insurance's fiscal special account; bank statements and what is unmatched."""
    user = _reader(request)
    year = _year(request)
    if request.method == "POST":
        try:
            if request.POST.get("step") == "statement":
                upload = request.FILES.get("file")
                if upload is None:
                    raise FinanceError("no_file", _("Choose the statement file."))
                result = statements.statement_import(
                    by=user,
                    account_id=int(request.POST.get("account") or 0),
                    data=upload.read(),
                    filename=upload.name or "",
                )
                if result.repeat:
                    messages.info(request, _("This statement was imported before; that import stands."))
                else:
                    messages.success(request, _("The statement is imported and matched."))
            else:
                value_date = date.fromisoformat((request.POST.get("value_date") or "").strip())
                services.transfer_record(
                    by=user,
                    flow=request.POST.get("flow") or "",
                    insurance=request.POST.get("insurance") or "",
                    amount_fen=services.parse_fen(request.POST.get("amount") or "", _("The amount")),
                    value_date=value_date,
                    reference=request.POST.get("reference") or "",
                    coverage_year=year,
                    note=request.POST.get("note") or "",
                )
                messages.success(request, _("The transfer is recorded."))
        except ValueError:
            messages.error(request, _("Give the value date as YYYY-MM-DD."))
        except FinanceError as exc:
            messages.error(request, exc.message)
        return _back("transfers", year)
    accounts_rows = []
    for account in FundAccount.objects.all():
        left = statements.unmatched(account.pk)
        accounts_rows.append({"account": account, "lines": left["lines"], "transfers": left["transfers"]})
    return render(
        request,
        "finance/transfers.html",
        _base(
            request,
            user,
            year=year,
            flows=Flow.choices,
            transfers=Transfer.objects.select_related("to_account", "from_account").filter(coverage_year=year)[:300],
            accounts=accounts_rows,
            statements=BankStatement.objects.select_related("account")[:50],
            today=date.today(),
        ),
    )


@require_GET
@login_required
def statement_template(request: HttpRequest) -> HttpResponse:
    _reader(request)
    response = HttpResponse(statements.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statement-template.csv"'
    return response
