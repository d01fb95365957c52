"""The campaign's edit forms; table parts (tiers, 代缴 rules, targets) are read row by row from the POST."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import rules
from .errors import CampaignError
from .models import CampaignStatus, DaijiaoMode, InsuranceType
from .services import TargetSpec, fen_of

DATE = forms.DateInput(attrs={"type": "date"})


class CampaignCreateForm(forms.Form):
    coverage_year = forms.IntegerField(label=gettext_lazy("coverage year"), min_value=2000, max_value=2100)
    collection_year = forms.IntegerField(label=gettext_lazy("collection year"), min_value=2000, max_value=2100)
    period_start = forms.DateField(label=gettext_lazy("concentrated period starts"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("concentrated period ends"), widget=DATE)
    name = forms.CharField(label=gettext_lazy("name"), max_length=100, required=False)


class PeriodForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    collection_year = forms.IntegerField(label=gettext_lazy("collection year"), min_value=2000, max_value=2100)
    period_start = forms.DateField(label=gettext_lazy("concentrated period starts"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("concentrated period ends"), widget=DATE)
    status = forms.ChoiceField(label=gettext_lazy("status"), choices=CampaignStatus.choices)
    county_deadlines = forms.CharField(
        label=gettext_lazy("deadlines set by the county"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: obligation rule code, a space, the date (YYYY-MM-DD)."),
    )
    reason = forms.CharField(label=gettext_lazy("reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_county_deadlines(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in (self.cleaned_data.get("county_deadlines") or "").splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_("Write each deadline as: rule code, a space, YYYY-MM-DD."))
            out[parts[0]] = parts[1]
        return out


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace("，", ",").replace("、", ",").split(",") if x.strip()]


class EligibilityForm(forms.Form):
    min_age = forms.IntegerField(label=gettext_lazy("minimum age"), min_value=0, max_value=150, required=False)
    max_age = forms.IntegerField(
        label=gettext_lazy("age from which not to pay"), min_value=0, max_value=150, required=False
    )
    age_on = forms.CharField(label=gettext_lazy("age reckoned on (MM-DD of the coverage year)"), max_length=5)
    over_age_reason = forms.CharField(
        label=gettext_lazy("why those over age do not pay"), max_length=100, required=False
    )
    exclude_categories = forms.CharField(
        label=gettext_lazy("excluded categories"),
        required=False,
        help_text=gettext_lazy("Register category codes, separated by commas."),
    )
    exclude_statuses = forms.CharField(
        label=gettext_lazy("excluded statuses"),
        required=False,
        help_text=gettext_lazy("Register statuses (deceased, moved_away), separated by commas."),
    )
    require_local_household = forms.BooleanField(
        label=gettext_lazy("household registration in the county required"), required=False
    )
    reason = forms.CharField(label=gettext_lazy("reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_exclude_categories(self) -> list[str]:
        return _lines(self.cleaned_data.get("exclude_categories") or "")

    def clean_exclude_statuses(self) -> list[str]:
        return _lines(self.cleaned_data.get("exclude_statuses") or "")


class TargetsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Targets sheet (xlsx, xls or csv)"))
    reason = forms.CharField(label=gettext_lazy("reason"), required=False)


def tiers_from_post(data: QueryDict) -> list[rules.Tier]:
    """Read the tier rows (amount_N, subsidy_N, region_N; the radio ``default`` = N); blank amounts are dropped."""
    default = data.get("default", "")
    out = []
    for key in sorted((k for k in data if k.startswith("amount_")), key=lambda k: int(k.split("_")[1])):
        n = key.split("_")[1]
        amount = data.get(key, "").strip()
        if not amount:
            continue
        out.append(
            rules.Tier(
                amount_fen=fen_of(amount, what=_("The amount %(value)s") % {"value": amount}),
                subsidy_fen=fen_of(data.get(f"subsidy_{n}", "").strip() or "0", what=_("The subsidy")),
                is_default=default == n,
                added_by_region=bool(data.get(f"region_{n}")),
            )
        )
    return out


def daijiao_from_post(data: QueryDict) -> list[rules.Daijiao]:
    """Read the 代缴 rows (category_N, label_N, details_N, insurance_N, mode_N, amount_N, priority_N)."""
    out = []
    for key in sorted((k for k in data if k.startswith("category_")), key=lambda k: int(k.split("_")[1])):
        n = key.split("_")[1]
        category = data.get(key, "").strip()
        if not category:
            continue
        mode = data.get(f"mode_{n}", "")
        insurance = data.get(f"insurance_{n}", "")
        if mode not in DaijiaoMode.values or insurance not in InsuranceType.values:
            raise CampaignError("bad_daijiao", _("Choose the insurance type and mode of %(c)s.") % {"c": category})
        try:
            priority = int(data.get(f"priority_{n}", "100") or "100")
        except ValueError as exc:
            raise CampaignError("bad_daijiao", _("The priority of %(c)s is not a number.") % {"c": category}) from exc
        amount = data.get(f"amount_{n}", "").strip() or "0"
        out.append(
            rules.Daijiao(
                category=category,
                insurance=insurance,
                mode=mode,
                amount_fen=fen_of(amount, what=_("The amount of %(c)s") % {"c": category}) if mode == "fixed" else 0,
                priority=priority,
                details=tuple(_lines(data.get(f"details_{n}", ""))),
                label=data.get(f"label_{n}", "").strip(),
            )
        )
    return out


def targets_from_post(data: QueryDict, codes: list[str]) -> list[TargetSpec]:
    """Read the target inputs t_<code>_<insurance> and opinion_<code> of the listed divisions; blank removes."""
    out = []
    for code in codes:
        opinion = data.get(f"opinion_{code}", "")
        for insurance in InsuranceType.values:
            key = f"t_{code}_{insurance}"
            if key not in data:
                continue
            text = data.get(key, "").strip()
            try:
                value: Any = int(text) if text else None
            except ValueError as exc:
                message = _("The target of %(code)s is not a number.") % {"code": code}
                raise CampaignError("bad_targets", message) from exc
            out.append(TargetSpec(code, insurance, value, opinion))
    return out
