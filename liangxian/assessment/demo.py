"""The demo's assessment: the demo campaign (coverage year 2027) computed by tax from what the demo recorded.

Run after the other demo steps (ideally after the screening demo; it may come before). Facts count as of ten days
after the collection period (the Art 38 deadline), or today when that is still ahead. A second call changes
nothing, unless the first ran before screening had findings: then the draft is computed again with them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.org.models import User

from . import facts, services
from .models import AssessmentRun, RunStatus


def demo_seed(*, year: int = 2027) -> dict[str, Any]:
    """Compute the demo campaign's assessment once (idempotent); return what it holds."""
    campaign = Campaign.objects.filter(coverage_year=year).first()
    if campaign is None:
        return {"assessment": "no campaign", "year": year}
    services.weights_load()
    run = AssessmentRun.objects.filter(campaign=campaign).first()
    screened = facts.township_findings(year)[1]
    if run is None or (run.status == RunStatus.DRAFT and screened and not run.screening_ran):
        tax = User.objects.filter(username="tax", is_active=True).first()
        as_of = min(campaign.period_end + dt.timedelta(days=10), timezone.localdate())
        run = services.assessment_compute(by=tax, year=year, as_of=as_of)
    return {
        "assessment": run.status,
        "year": year,
        "as_of": run.as_of.isoformat(),
        "screening_ran": run.screening_ran,
        **{k: v for k, v in run.counts.items() if k != "screening_ran"},
    }
