"""Who may do what: the pure predicates over the acting unit and role."""

from __future__ import annotations

import pytest

from liangxian.core.scope import Actor
from liangxian.org import rules


def actor(kind: str, code: str, *, department: str = "", role: str = "staff", superuser: bool = False) -> Actor:
    division = code if kind in ("township", "village") else "653123"
    return Actor(
        user_id=1,
        unit_code=code,
        unit_kind=kind,
        department=department,
        role=role,
        division_code=division,
        is_superuser=superuser,
    )


TAX = actor("department", "653123-tax", department="tax")
MEDICAL = actor("department", "653123-medical", department="medical")
TOWNSHIP = actor("township", "653123100", role="specialist")
TOWNSHIP_LEADER = actor("township", "653123100", role="township_leader")
COLLECTOR = actor("village", "653123100001", role="collector")
SYSADMIN = actor("", "", role="sysadmin")


@pytest.mark.parametrize(
    ("who", "expected"), [(TAX, True), (MEDICAL, False), (TOWNSHIP, False), (COLLECTOR, False), (SYSADMIN, True)]
)
def test_only_tax_and_sysadmin_authorise_collectors(who: Actor, expected: bool) -> None:
    assert rules.can_authorise_collectors(who) is expected


def test_is_tax_names_the_tax_bureau_only() -> None:
    assert rules.is_tax(TAX) and not rules.is_tax(MEDICAL) and not rules.is_tax(TOWNSHIP)


@pytest.mark.parametrize(
    ("who", "village", "expected"),
    [
        (TOWNSHIP, "653123100001", True),
        (TOWNSHIP, "653123101201", False),
        (TAX, "653123100001", False),
        (COLLECTOR, "653123100001", False),
        (SYSADMIN, "653123101201", True),
    ],
)
def test_a_township_manages_only_its_own_villages(who: Actor, village: str, expected: bool) -> None:
    assert rules.can_manage_village(who, village) is expected


def test_a_department_designates_only_its_own_contact() -> None:
    assert rules.can_designate_contact(MEDICAL, "653123-medical")
    assert not rules.can_designate_contact(TAX, "653123-medical")


def test_the_townships_office_files_but_its_leader_does_not() -> None:
    assert rules.can_file_specialist_change(TOWNSHIP, "653123100")
    assert not rules.can_file_specialist_change(TOWNSHIP_LEADER, "653123100")
    assert not rules.can_file_specialist_change(TOWNSHIP, "653123101")
    assert rules.can_manage_township(TOWNSHIP_LEADER, "653123100")
