"""The campaign's pages: the list, one campaign, an edit form per part and the revision history.

Thin views over campaigns.selectors and campaigns.services; every signed-in user reads, only the tax bureau,
medical insurance and social security (staff or leader) and superusers edit (services.may_edit).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from liangxian.core.models import DivisionLevel
from liangxian.core.scope import Actor

from . import forms, selectors, services
from .errors import CampaignError
from .models import Campaign, CampaignRevision, DaijiaoMode, InsuranceType

BLANK_TIER_ROWS = 3
BLANK_DAIJIAO_ROWS = 2


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


def _campaign(year: int) -> Campaign:
    try:
        return selectors.campaign_get(year)
    except Campaign.DoesNotExist:
        raise Http404 from None


def _editor(request: HttpRequest) -> None:
    if not services.may_edit(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only the tax bureau, medical insurance and social security may edit a campaign."))


def _insurance(value: str) -> str:
    if value not in InsuranceType.values:
        raise Http404
    return value


def _error(request: HttpRequest, exc: CampaignError) -> None:
    for text in exc.problems:
        messages.error(request, text)


def _save(request: HttpRequest, year: int, save: Callable[[], object]) -> HttpResponse | None:
    """Run an edit page's save: on success say so and go back to the campaign, on a CampaignError show why (None)."""
    try:
        save()
    except CampaignError as exc:
        _error(request, exc)
        return None
    messages.success(request, _("Saved."))
    return redirect("campaigns:detail", year=year)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/list.html",
        {"campaigns": selectors.campaign_list(), "may_edit": services.may_edit(request.user)},  # type: ignore[arg-type]
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    _editor(request)
    form = forms.CampaignCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except CampaignError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("The campaign was created from the default figures; check and edit them."))
            return redirect("campaigns:detail", year=campaign.coverage_year)
    return render(request, "campaigns/create.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, year: int) -> HttpResponse:
    campaign = _campaign(year)
    actor = _actor(request)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "insurances": selectors.insurance_views(campaign),
            "plan": selectors.plan_for(actor, campaign),
            "deadlines": sorted((campaign.county_deadlines or {}).items()),
            "may_edit": services.may_edit(request.user),  # type: ignore[arg-type]
            "last_revisions": list(selectors.revisions(campaign)[:5]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_period(request: HttpRequest, year: int) -> HttpResponse:
    _editor(request)
    campaign = _campaign(year)
    initial = {
        "name": campaign.name,
        "collection_year": campaign.collection_year,
        "period_start": campaign.period_start,
        "period_end": campaign.period_end,
        "status": campaign.status,
        "county_deadlines": "\n".join(f"{k} {v}" for k, v in sorted((campaign.county_deadlines or {}).items())),
    }
    form = forms.PeriodForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _save(
            request,
            year,
            lambda: services.campaign_update(actor=request.user, campaign=campaign, **form.cleaned_data),  # type: ignore[arg-type]
        )
        if done is not None:
            return done
    return render(request, "campaigns/edit_period.html", {"campaign": campaign, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def edit_tiers(request: HttpRequest, year: int, insurance: str) -> HttpResponse:
    _editor(request)
    campaign = _campaign(year)
    insurance = _insurance(insurance)
    rows: list[dict[str, Any]] = [
        {"amount": t.amount_fen, "subsidy": t.subsidy_fen, "default": t.is_default, "region": t.added_by_region}
        for t in services.tiers_of(campaign, insurance)
    ]
    if request.method == "POST":
        done = _save(
            request,
            year,
            lambda: services.campaign_tiers_set(
                actor=request.user,  # type: ignore[arg-type]
                campaign=campaign,
                insurance=insurance,
                tiers=forms.tiers_from_post(request.POST),
                reason=request.POST.get("reason", ""),
            ),
        )
        if done is not None:
            return done
    blanks = 0 if insurance == InsuranceType.MEDICAL and rows else BLANK_TIER_ROWS
    return render(
        request,
        "campaigns/edit_tiers.html",
        {
            "campaign": campaign,
            "insurance": insurance,
            "insurance_label": InsuranceType(insurance).label,
            "rows": rows,
            "blanks": range(len(rows), len(rows) + blanks),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_daijiao(request: HttpRequest, year: int) -> HttpResponse:
    _editor(request)
    campaign = _campaign(year)
    if request.method == "POST":
        done = _save(
            request,
            year,
            lambda: services.campaign_daijiao_rules_set(
                actor=request.user,  # type: ignore[arg-type]
                campaign=campaign,
                items=forms.daijiao_from_post(request.POST),
                reason=request.POST.get("reason", ""),
            ),
        )
        if done is not None:
            return done
    rules = services.daijiao_of(campaign)
    return render(
        request,
        "campaigns/edit_daijiao.html",
        {
            "campaign": campaign,
            "rules": rules,
            "blanks": range(len(rules), len(rules) + BLANK_DAIJIAO_ROWS),
            "insurances": InsuranceType.choices,
            "modes": DaijiaoMode.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_eligibility(request: HttpRequest, year: int, insurance: str) -> HttpResponse:
    _editor(request)
    campaign = _campaign(year)
    insurance = _insurance(insurance)
    rule = campaign.eligibility_rules.filter(insurance=insurance).first()
    initial: dict[str, Any] = {"age_on": "01-01", "require_local_household": True}
    if rule is not None:
        initial = {
            "min_age": rule.min_age,
            "max_age": rule.max_age,
            "age_on": rule.age_on,
            "over_age_reason": rule.over_age_reason,
            "exclude_categories": ", ".join(rule.exclude_categories or []),
            "exclude_statuses": ", ".join(rule.exclude_statuses or []),
            "require_local_household": rule.require_local_household,
        }
    form = forms.EligibilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _save(
            request,
            year,
            lambda: services.campaign_eligibility_set(
                actor=request.user,  # type: ignore[arg-type]
                campaign=campaign,
                insurance=insurance,
                **form.cleaned_data,
            ),
        )
        if done is not None:
            return done
    return render(
        request,
        "campaigns/edit_eligibility.html",
        {"campaign": campaign, "form": form, "insurance_label": InsuranceType(insurance).label},
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_targets(request: HttpRequest, year: int) -> HttpResponse:
    _editor(request)
    campaign = _campaign(year)
    divisions = list(services.plan_divisions())
    upload = forms.TargetsUploadForm()
    if request.method == "POST":
        if request.FILES.get("file"):
            upload = forms.TargetsUploadForm(request.POST, request.FILES)

        def save() -> None:
            if request.FILES.get("file"):
                if not upload.is_valid():
                    raise CampaignError("bad_file", _("Choose a file."))
                f = upload.cleaned_data["file"]
                services.campaign_targets_load(
                    actor=request.user,  # type: ignore[arg-type]
                    campaign=campaign,
                    source=f.read(),
                    filename=f.name,
                    reason=upload.cleaned_data.get("reason", ""),
                )
            else:
                services.campaign_targets_set(
                    actor=request.user,  # type: ignore[arg-type]
                    campaign=campaign,
                    targets=forms.targets_from_post(request.POST, [d.code for d in divisions]),
                    reason=request.POST.get("reason", ""),
                )

        done = _save(request, year, save)
        if done is not None:
            return done
    current: dict[str, dict[str, Any]] = {}
    for t in campaign.expansion_targets.all():
        current.setdefault(t.division_id, {})[t.insurance] = t.target
        current[t.division_id]["opinion"] = t.tax_opinion
    rows = [
        {
            "code": d.code,
            "name": d.name,
            "village": d.level == DivisionLevel.VILLAGE,
            "medical": current.get(d.code, {}).get("medical"),
            "pension": current.get(d.code, {}).get("pension"),
            "opinion": current.get(d.code, {}).get("opinion", ""),
        }
        for d in divisions
    ]
    return render(request, "campaigns/edit_targets.html", {"campaign": campaign, "rows": rows, "upload": upload})


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@login_required
def revision_history(request: HttpRequest, year: int) -> HttpResponse:
    campaign = _campaign(year)
    actor = _actor(request)
    items = list(selectors.revisions(campaign))
    diff: list[dict[str, Any]] | None = None
    a = b = None
    if request.GET.get("a") and request.GET.get("b"):
        try:
            a, b = int(request.GET["a"]), int(request.GET["b"])
            diff = selectors.revision_diff(campaign, a, b)
        except (ValueError, CampaignRevision.DoesNotExist):
            raise Http404 from None
    elif len(items) >= 2:
        a, b = items[1].number, items[0].number
        diff = selectors.revision_diff(campaign, a, b)
    if diff is not None and actor.unit_kind in ("township", "village") and not actor.is_superuser:
        diff = [d for d in diff if d["part"] != "targets" or d["key"].split(".")[1].startswith(actor.division_code)]
    shown = [{**d, "before": _shown(d["before"]), "after": _shown(d["after"])} for d in diff or []]
    return render(
        request,
        "campaigns/revisions.html",
        {"campaign": campaign, "revisions": items, "diff": shown, "a": a, "b": b, "compared": diff is not None},
    )
