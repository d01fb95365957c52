"""Forms of the working-day calendar page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DayKind

MIN_YEAR = 2000
MAX_YEAR = 2100


class DateInput(forms.DateInput):
    input_type = "date"


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(format="%Y-%m-%d"))


class YearBoundForm(forms.Form):
    """A form about one day of the year shown on the page."""

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day.year != self.year:
            raise forms.ValidationError(_("Choose a day of %(year)s."), params={"year": self.year})
        return day


class DeadlineForm(forms.Form):
    start = _date_field(_("Start date"))
    working_days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=366)

    def clean_start(self) -> dt.date:
        start: dt.date = self.cleaned_data["start"]
        if not MIN_YEAR <= start.year <= MAX_YEAR:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return start


class GenerateYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)


class ConfirmYearForm(forms.Form):
    checked = forms.BooleanField(
        label=_("I have checked every holiday, regional holiday and adjusted working day of this year."),
        required=True,
    )


class RegionalHolidayForm(YearBoundForm):
    date = _date_field(_("Date"))
    name = forms.CharField(label=_("Holiday name"), max_length=60, help_text=_("e.g. 肉孜节, 古尔邦节"))


class RegionalHolidayRemoveForm(YearBoundForm):
    date = _date_field(_("Date"))


class DaySetForm(YearBoundForm):
    date = _date_field(_("Date"))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Holiday name"), max_length=60, required=False)
