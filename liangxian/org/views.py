"""Organisation pages: units, a department's data contact, a township's posts, a village's handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liangxian.core.scope import Actor

from . import rules, selectors, services
from .errors import OrgError, OrgPermissionDenied
from .forms import AppointForm, AuthoriseForm, DataContactForm, FilingForm, HandlerForm, ReplaceForm, WithdrawForm
from .models import CollectorAuthorisation, TownshipPost, Unit, UnitKind, User, VillageHandler
from .notice import handler_notice_pdf, notice_context


def _unit(code: str, kind: str | None = None) -> Unit:
    try:
        unit = selectors.unit_get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None
    if kind is not None and unit.kind != kind:
        raise Http404
    return unit


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service; a refusal for lack of duty is a 403, any other refusal a message on the page."""
    try:
        action()
    except OrgPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except OrgError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def _form_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    """List the county departments, the townships (with their villages) and the banks."""
    return render(
        request,
        "org/unit_list.html",
        {
            "departments": selectors.unit_list(kind=UnitKind.DEPARTMENT),
            "townships": selectors.townships_with_village_counts(),
            "banks": selectors.unit_list(kind=UnitKind.BANK),
        },
    )


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Show one unit's page, by its kind."""
    unit = _unit(code)
    actor = Actor.of(_user(request))
    context: dict[str, Any] = {"unit": unit, "users": selectors.unit_users(unit=unit)}
    if unit.kind == UnitKind.DEPARTMENT:
        context.update(
            contact=selectors.data_contact_current(unit=unit),
            contact_history=selectors.data_contact_history(unit=unit),
            filings_received=selectors.filings_received(unit=unit),
            can_designate=rules.can_designate_contact(actor, unit.code),
            contact_form=DataContactForm(users=selectors.unit_users(unit=unit)),
        )
        return render(request, "org/department_detail.html", context)
    if unit.kind == UnitKind.TOWNSHIP:
        users = selectors.unit_users(unit=unit)
        specialist = selectors.specialist_current(township=unit)
        others = users.exclude(pk=specialist.pk) if specialist else users
        filings = selectors.filings_for(township=unit)
        pending = [f for f in filings if f.used_at is None and specialist and f.outgoing_id == specialist.pk]
        context.update(
            leader=selectors.appointment_current(township=unit, post=TownshipPost.LEADER_IN_CHARGE),
            specialist=selectors.appointment_current(township=unit, post=TownshipPost.SPECIALIST),
            appointments=selectors.appointments_history(township=unit),
            filings=filings,
            villages=selectors.unit_list(kind=UnitKind.VILLAGE, parent=unit),
            can_manage=rules.can_manage_township(actor, unit.code),
            can_file=rules.can_file_specialist_change(actor, unit.code) and specialist is not None,
            appoint_form=AppointForm(users=users),
            filing_form=FilingForm(users=others),
            replace_form=ReplaceForm(users=users.filter(pk__in=[f.incoming_id for f in pending])),
            has_pending=bool(pending),
        )
        return render(request, "org/township_detail.html", context)
    if unit.kind == UnitKind.VILLAGE:
        context.update(
            handlers=selectors.handlers_for(village=unit, include_inactive=True),
            authorisations=selectors.authorisations_for(village=unit),
            can_manage=rules.can_manage_village(actor, unit.code),
            can_authorise=rules.can_authorise_collectors(actor),
            handler_form=HandlerForm(),
            authorise_form=AuthoriseForm(users=selectors.unit_users(unit=unit)),
            withdraw_form=WithdrawForm(),
        )
        return render(request, "org/village_detail.html", context)
    return render(request, "org/unit_detail.html", context)


@login_required
@require_POST
def contact_designate(request: HttpRequest, code: str) -> HttpResponse:
    """Designate the department's data contact (Art 22)."""
    unit = _unit(code, UnitKind.DEPARTMENT)
    form = DataContactForm(request.POST, users=selectors.unit_users(unit=unit))
    if not rules.can_designate_contact(Actor.of(_user(request)), unit.code):
        raise PermissionDenied
    if form.is_valid():
        _run(
            request,
            lambda: services.data_contact_designate(
                actor=_user(request), unit=unit, user=form.cleaned_data["user"], since=form.cleaned_data["since"]
            ),
            _("The data contact is designated."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=unit.code)


@login_required
@require_POST
def township_appoint(request: HttpRequest, code: str) -> HttpResponse:
    """Appoint the township's leader in charge or its first specialist."""
    unit = _unit(code, UnitKind.TOWNSHIP)
    if not rules.can_manage_township(Actor.of(_user(request)), unit.code):
        raise PermissionDenied
    form = AppointForm(request.POST, users=selectors.unit_users(unit=unit))
    if form.is_valid():
        _run(
            request,
            lambda: services.township_appoint(
                actor=_user(request),
                township=unit,
                post=form.cleaned_data["post"],
                user=form.cleaned_data["user"],
                since=form.cleaned_data["since"],
            ),
            _("The appointment is recorded."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=unit.code)


@login_required
@require_POST
def specialist_filing(request: HttpRequest, code: str) -> HttpResponse:
    """File the specialist's replacement with tax, medical insurance and social security (Art 31)."""
    unit = _unit(code, UnitKind.TOWNSHIP)
    if not rules.can_file_specialist_change(Actor.of(_user(request)), unit.code):
        raise PermissionDenied
    outgoing = selectors.specialist_current(township=unit)
    form = FilingForm(request.POST, users=selectors.unit_users(unit=unit))
    if outgoing is None:
        messages.error(request, _("The township has no specialist to replace; appoint one instead."))
    elif form.is_valid():
        _run(
            request,
            lambda: services.specialist_filing_file(
                actor=_user(request),
                township=unit,
                outgoing=outgoing,
                incoming=form.cleaned_data["incoming"],
                reason=form.cleaned_data["reason"],
            ),
            _("The filing is sent to the tax, medical insurance and social security departments."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=unit.code)


@login_required
@require_POST
def specialist_replace(request: HttpRequest, code: str) -> HttpResponse:
    """Replace the township's specialist after the prior filing (Art 31)."""
    unit = _unit(code, UnitKind.TOWNSHIP)
    if not rules.can_manage_township(Actor.of(_user(request)), unit.code):
        raise PermissionDenied
    form = ReplaceForm(request.POST, users=selectors.unit_users(unit=unit))
    if form.is_valid():
        _run(
            request,
            lambda: services.specialist_replace(
                actor=_user(request),
                township=unit,
                incoming=form.cleaned_data["incoming"],
                since=form.cleaned_data["since"],
            ),
            _("The specialist is replaced."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=unit.code)


@login_required
def handler_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a handler to the village's notice (Art 31)."""
    village = _unit(code, UnitKind.VILLAGE)
    if not rules.can_manage_village(Actor.of(_user(request)), village.code):
        raise PermissionDenied
    form = HandlerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok = _run(
            request,
            lambda: services.village_handler_add(actor=_user(request), village=village, **form.cleaned_data),
            _("The handler is added."),
        )
        if ok:
            return redirect("org:unit", code=village.code)
    return render(request, "org/handler_form.html", {"village": village, "form": form, "handler": None})


@login_required
def handler_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Edit a handler on the village's notice (Art 31)."""
    village = _unit(code, UnitKind.VILLAGE)
    handler = get_object_or_404(VillageHandler, pk=pk, village=village)
    if not rules.can_manage_village(Actor.of(_user(request)), village.code):
        raise PermissionDenied
    form = HandlerForm(request.POST or None, instance=VillageHandler.objects.get(pk=handler.pk))
    if request.method == "POST" and form.is_valid():
        ok = _run(
            request,
            lambda: services.village_handler_update(actor=_user(request), handler=handler, **form.cleaned_data),
            _("The handler is updated."),
        )
        if ok:
            return redirect("org:unit", code=village.code)
    return render(request, "org/handler_form.html", {"village": village, "form": form, "handler": handler})


@login_required
@require_POST
def handler_deactivate(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Take a handler off the village's notice."""
    village = _unit(code, UnitKind.VILLAGE)
    handler = get_object_or_404(VillageHandler, pk=pk, village=village)
    _run(
        request,
        lambda: services.village_handler_deactivate(actor=_user(request), handler=handler),
        _("The handler is taken off the notice."),
    )
    return redirect("org:unit", code=village.code)


@login_required
def handler_notice(request: HttpRequest, code: str) -> HttpResponse:
    """Preview the village's bilingual handler notice (Art 31)."""
    village = _unit(code, UnitKind.VILLAGE)
    return render(request, "org/handler_notice.html", notice_context(village=village))


@login_required
def handler_notice_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    """Download the village's handler notice as PDF for printing and posting (Art 31)."""
    village = _unit(code, UnitKind.VILLAGE)
    response = HttpResponse(handler_notice_pdf(village=village), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handlers-{village.code}.pdf"'
    return response


@login_required
@require_POST
def collector_authorise(request: HttpRequest, code: str) -> HttpResponse:
    """Authorise a collection assistant for the village (Art 30: tax only)."""
    village = _unit(code, UnitKind.VILLAGE)
    if not rules.can_authorise_collectors(Actor.of(_user(request))):
        raise PermissionDenied
    form = AuthoriseForm(request.POST, users=selectors.unit_users(unit=village))
    if form.is_valid():
        _run(
            request,
            lambda: services.collector_authorise(
                actor=_user(request),
                collector=form.cleaned_data["collector"],
                village=village,
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
            ),
            _("The collector is authorised."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=village.code)


@login_required
@require_POST
def collector_withdraw(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Withdraw a collector's authorisation (Art 30: tax only)."""
    village = _unit(code, UnitKind.VILLAGE)
    if not rules.can_authorise_collectors(Actor.of(_user(request))):
        raise PermissionDenied
    authorisation = get_object_or_404(CollectorAuthorisation, pk=pk, village=village)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.collector_withdraw(
                actor=_user(request), authorisation=authorisation, reason=form.cleaned_data["reason"]
            ),
            _("The authorisation is withdrawn."),
        )
    else:
        _form_errors(request, form)
    return redirect("org:unit", code=village.code)
