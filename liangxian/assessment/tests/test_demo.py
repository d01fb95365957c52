"""The demo step computes the demo campaign's assessment once; a second call changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.assessment.demo import demo_seed
from liangxian.assessment.models import AssessmentRun, Score
from liangxian.org.models import Role
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_seed_computes_the_assessment_once_as_tax(county: dict[str, Any]) -> None:
    tax = f.user(county["tax"].unit, Role.STAFF, username="tax")

    report = demo_seed(year=2027)

    run = AssessmentRun.objects.get()
    assert report["assessment"] == "draft" and report["township"] == 2 and report["screening_ran"]
    assert run.computed_by == tax and run.as_of.isoformat() == report["as_of"]
    first = (run.computed_at, sorted(Score.objects.values_list("pk", flat=True)))

    again = demo_seed(year=2027)

    run.refresh_from_db()
    assert again == report
    assert (run.computed_at, sorted(Score.objects.values_list("pk", flat=True))) == first


def test_demo_seed_without_the_campaign_does_nothing() -> None:
    assert demo_seed(year=2030) == {"assessment": "no campaign", "year": 2030}
    assert not AssessmentRun.objects.exists()
