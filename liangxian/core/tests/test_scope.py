import pytest

from liangxian.core.models import Division, DivisionLevel
from liangxian.core.scope import Actor, division_q
from liangxian.org.models import Role, Unit, User

pytestmark = pytest.mark.django_db


def actor_for(kind: str, division: str, department: str = "", role: str = Role.STAFF) -> Actor:
    Division.objects.get_or_create(code=division, defaults={"name": division, "level": DivisionLevel.VILLAGE})
    unit = Unit.objects.create(
        code=f"{kind}-{department}-{division}", name="u", kind=kind, department=department, division_id=division
    )
    return Actor.of(User.objects.create_user(username=f"{kind}{department}{division}", unit=unit, role=role))


@pytest.mark.parametrize(
    ("kind", "division", "department", "prefix", "duty", "full_id"),
    [
        ("village", "653123100001", "", "653123100001", "village_collection", False),
        ("township", "653123100", "", "653123100", "township_collection", False),
        ("department", "653123", "tax", "653123", "collection", True),
        ("department", "653123", "medical", "653123", "enrolment", True),
        ("department", "653123", "discipline", "653123", "supervision", False),
        ("department", "653123", "publicity", None, None, False),
        ("bank", "653123", "", None, None, False),
    ],
)
def test_each_kind_of_unit_reaches_the_divisions_its_duty_needs(kind, division, department, prefix, duty, full_id):
    actor = actor_for(kind, division, department)

    assert (actor.division_prefix, actor.resident_duty, actor.sees_full_id) == (prefix, duty, full_id)


def test_a_user_without_a_unit_reaches_nothing():
    actor = Actor.of(User.objects.create_user(username="loner", is_superuser=True))

    assert actor.division_prefix is None
    assert not actor.sees_division("653123100001")


def test_a_village_collector_sees_his_village_and_no_other():
    actor = actor_for("village", "653123100001", role=Role.COLLECTOR)

    assert actor.sees_division("653123100001")
    assert not actor.sees_division("653123100002")
    assert not actor.sees_division("653123")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("653123100", {"653123100001", "653123100999"}),
        ("653123", {"653123100001", "653123100999", "653123200001"}),
        ("653123100001", {"653123100001"}),
        (None, set()),
        ("", set()),
    ],
)
def test_the_division_filter_matches_exactly_the_codes_under_the_prefix(prefix, expected):
    for code in ("653123100001", "653123100999", "653123200001", "653124100001", "65312", "653122999999"):
        Division.objects.create(code=code, name=code, level=DivisionLevel.VILLAGE)

    found = set(Division.objects.filter(division_q("code", prefix)).values_list("code", flat=True))

    assert found == expected
