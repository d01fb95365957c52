"""The demo fills channels, complaints and inquiries once; a second call changes nothing."""

from __future__ import annotations

import pytest

from liangxian.complaints.demo import demo_seed
from liangxian.complaints.models import Complaint, Handover, Inquiry, ReportChannel
from liangxian.complaints.services import identity_reveal
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_seed_runs_twice_and_discipline_investigates_what_tax_received() -> None:
    f.county()
    units = {
        d: f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department=d, code=f"dept-{d}")
        for d in ("tax", "discipline", "medical", "social", "civil")
    }
    for d, unit in units.items():
        f.user(unit, Role.STAFF, username=d)
    f.user(units["tax"], Role.LEADER, username="tax_leader")
    f.user(f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP, code="township-a"), Role.STAFF, username="township")

    first = demo_seed()
    again = demo_seed()

    assert first["complaints"] == 3 and again["complaints"] == 0 and again["channels"] == 0
    assert ReportChannel.objects.count() == 4 and Complaint.objects.count() == 3
    assert Inquiry.objects.count() == 3 and Handover.objects.count() == 1
    case = Complaint.objects.get(received_by__username="tax")
    assert identity_reveal(by=f.User.objects.get(username="discipline"), complaint_id=case.pk)["name"]
    assert sorted(Complaint.objects.values_list("status", flat=True)) == ["concluded", "investigating", "received"]
