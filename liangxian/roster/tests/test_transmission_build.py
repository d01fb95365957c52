"""The roster built by ``roster_build`` passing to tax: a clean build raises nothing of its own making, and what
changed in the register or the lists after the build is found on receipt."""

from __future__ import annotations

from typing import Any

import pytest

from liangxian.obligations.services import rules_load
from liangxian.org.models import UnitKind
from liangxian.registry.models import Person
from liangxian.registry.tests import factories as f
from liangxian.roster.models import AbnormalItem, RosterEntry

build = pytest.importorskip("liangxian.roster.build", reason="the roster build (roster.build) is not there yet")
service = pytest.importorskip("liangxian.roster.tests.test_build_service", reason="the build's tests are not there")

from liangxian.roster.transmission import (  # noqa: E402
    roster_transmission_approve,
    roster_transmission_receive,
    roster_transmission_send,
)

county = service.county
__all__ = ["county"]
pytestmark = pytest.mark.django_db


def test_a_built_roster_is_sent_and_tax_finds_only_what_is_abnormal(county: dict[str, Any]) -> None:
    rules_load(actor=None)
    medical = county["medical"]
    social = f.user(f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="social", code="dept-social"))
    tax = f.user(f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="tax", code="dept-tax"))
    campaign = county["campaign"]
    clean = [f.person(f.VILLAGE_A1, name=name, birth_date=service.born(40)) for name in ("甲", "乙", "丙")]
    both = f.person(f.VILLAGE_A1, name="丁", birth_date=service.born(50))
    county["lists"].put(both, "special_hardship")
    county["lists"].put(both, "minimum_allowance")
    dies = f.person(f.VILLAGE_A2, name="戊", birth_date=service.born(45))
    built = build.roster_build(actor=medical, campaign=campaign)
    assert built.status == "done"
    # After the build, public security reports a death.
    Person.objects.filter(pk=dies.pk).update(status="deceased")
    found: dict[str, dict[int, set[str]]] = {}
    for insurance, sender in (("medical", medical), ("pension", social)):
        sent = roster_transmission_approve(actor=sender, campaign=campaign, insurance=insurance)
        assert sent.entries == RosterEntry.objects.filter(campaign=campaign, insurance=insurance, must_pay=True).count()
        roster_transmission_send(actor=sender, transmission=sent)
        roster_transmission_receive(actor=tax, transmission=sent)
        kinds: dict[int, set[str]] = {}
        for person_id, kind in AbnormalItem.objects.filter(transmission=sent).values_list("person_id", "kind"):
            kinds.setdefault(person_id, set()).add(kind)
        found[insurance] = kinds
    for insurance in ("medical", "pension"):
        assert found[insurance] == {both.pk: {"conflicting_categories"}, dies.pk: {"deceased"}}
        assert not {p.pk for p in clean} & set(found[insurance])
