"""The working-day calendar pages: every signed-in user reads; tax and system administrators edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import calendar as cal
from .forms import (
    MAX_YEAR,
    MIN_YEAR,
    ConfirmYearForm,
    DaySetForm,
    DeadlineForm,
    GenerateYearForm,
    RegionalHolidayForm,
    RegionalHolidayRemoveForm,
)

if TYPE_CHECKING:
    from liangxian.org.models import User


def _user(request: HttpRequest) -> User:
    # Every view here is behind login_required, so the user is a signed-in User.
    return cast("User", request.user)


def _require_editor(request: HttpRequest) -> None:
    if not cal.can_edit_calendar(_user(request)):
        raise cal.CalendarEditDenied(_("Only the tax bureau or a system administrator may change the calendar."))


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404


@login_required
def calendar_index(request: HttpRequest) -> HttpResponse:
    """List the calendar's years and work out a deadline in working days."""
    deadline_form = DeadlineForm(request.GET if "start" in request.GET else None)
    deadline = None
    if deadline_form.is_bound and deadline_form.is_valid():
        deadline = cal.deadline_after_working_days(
            deadline_form.cleaned_data["start"], deadline_form.cleaned_data["working_days"]
        )
    return render(
        request,
        "core/calendar_index.html",
        {
            "years": cal.calendar_years(),
            "editor": cal.can_edit_calendar(_user(request)),
            "deadline_form": deadline_form,
            "deadline": deadline,
            "generate_form": GenerateYearForm(),
        },
    )


@login_required
@require_POST
def calendar_generate(request: HttpRequest) -> HttpResponse:
    """Enter a new year's days as a draft to be corrected and confirmed."""
    _require_editor(request)
    form = GenerateYearForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            cal.calendar_year_generate_draft(actor=_user(request), year=year)
        except cal.CalendarError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("The days of %(year)s were entered as a draft: correct them, then confirm.") % {"year": year}
            )
            return redirect("core:calendar_year", year=year)
    return render(
        request,
        "core/calendar_index.html",
        {
            "years": cal.calendar_years(),
            "editor": True,
            "deadline_form": DeadlineForm(),
            "deadline": None,
            "generate_form": form,
        },
        status=400,
    )


def _year_page(request: HttpRequest, year: int, status: int = 200, **forms: Form) -> HttpResponse:
    row = cal.calendar_year_get(year)
    editor = cal.can_edit_calendar(_user(request))
    summary = next((s for s in cal.calendar_years() if s.year == year), None)
    context: dict[str, Any] = {
        "year": year,
        "row": row,
        "summary": summary,
        "editor": editor,
        "months": cal.calendar_year_months(year) if summary and summary.days else [],
        "special_days": cal.calendar_special_days(year),
        "confirm_form": ConfirmYearForm(),
        "regional_form": RegionalHolidayForm(year=year),
        "remove_form": RegionalHolidayRemoveForm(year=year),
        "day_form": DaySetForm(year=year),
        "generate_form": GenerateYearForm(initial={"year": year}),
    }
    context.update(forms)
    return render(request, "core/calendar_year.html", context, status=status)


@login_required
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    """Show one year month by month with its holidays and adjusted working days."""
    _check_year(year)
    return _year_page(request, year)


def _year_action(request: HttpRequest, year: int, form: Form, form_name: str, run: Any, done: str) -> HttpResponse:
    """Run one calendar service from a posted form; show the form again with the error if it fails."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except cal.CalendarError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("core:calendar_year", year=year)
    return _year_page(request, year, status=400, **{form_name: form})


@login_required
@require_POST
def calendar_confirm(request: HttpRequest, year: int) -> HttpResponse:
    """Confirm the year so deadlines may fall in it."""
    _check_year(year)
    _require_editor(request)
    return _year_action(
        request,
        year,
        ConfirmYearForm(request.POST),
        "confirm_form",
        lambda data: cal.calendar_year_confirm(actor=_user(request), year=year),
        _("%(year)s is confirmed: deadlines may now fall in it.") % {"year": year},
    )


@login_required
@require_POST
def calendar_regional_holiday_add(request: HttpRequest, year: int) -> HttpResponse:
    """Enter a regional holiday (肉孜节, 古尔邦节)."""
    _check_year(year)
    _require_editor(request)
    return _year_action(
        request,
        year,
        RegionalHolidayForm(request.POST, year=year),
        "regional_form",
        lambda data: cal.calendar_regional_holiday_add(actor=_user(request), date=data["date"], name=data["name"]),
        _("The regional holiday was entered."),
    )


@login_required
@require_POST
def calendar_regional_holiday_remove(request: HttpRequest, year: int) -> HttpResponse:
    """Remove a regional holiday entered in error."""
    _check_year(year)
    _require_editor(request)
    return _year_action(
        request,
        year,
        RegionalHolidayRemoveForm(request.POST, year=year),
        "remove_form",
        lambda data: cal.calendar_regional_holiday_remove(actor=_user(request), date=data["date"]),
        _("The regional holiday was removed."),
    )


@login_required
@require_POST
def calendar_day_set(request: HttpRequest, year: int) -> HttpResponse:
    """Correct one day's kind."""
    _check_year(year)
    _require_editor(request)
    return _year_action(
        request,
        year,
        DaySetForm(request.POST, year=year),
        "day_form",
        lambda data: cal.calendar_day_set(
            actor=_user(request), date=data["date"], kind=data["kind"], name=data["name"]
        ),
        _("The day was corrected."),
    )
