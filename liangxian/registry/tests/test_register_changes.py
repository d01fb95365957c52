"""The database records every update and removal of a resident or household (SQLite; migration registry 0004).

The incremental apply of a list's next version (registry.services._incremental) trusts these records to name every
person the register changed for since the last apply, whoever changed it; where the triggers are missing it must
compare the whole list. A migration that rebuilds the person or household table on SQLite drops its triggers:
this test then fails, and the migration must create them again.
"""

import polars as pl
import pytest
from django.db import connection

from liangxian.registry import services
from liangxian.registry.models import Household, Person, RegisterChange
from liangxian.registry.tests import exchange_fixtures as x
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's")
def test_updates_and_removals_of_residents_and_households_are_recorded_by_the_database() -> None:
    # Given a resident in a household
    places = f.county()
    village = next(d for d in places.values() if d.level == "village")
    household = Household.objects.create(number="H-1", village=village)
    person = Person.objects.create(
        id_number="650101199001011234",
        name="甲",
        township_code=village.code[:9],
        village_code=village.code,
        household=household,
    )
    assert services._tracked("default")
    before = RegisterChange.objects.count()

    # When the resident's number is corrected, the household renamed, and the resident removed
    Person.objects.filter(pk=person.pk).update(id_number="65010119900101123X")
    Household.objects.filter(pk=household.pk).update(number="H-2")
    Person.objects.filter(pk=person.pk).delete()

    # Then each is recorded, with the numbers before and after
    recorded = list(
        RegisterChange.objects.filter(id__gt=before)
        .order_by("id")
        .values_list("person_id", "old_id_number", "new_id_number", "household_id")
    )
    assert recorded == [
        (person.pk, "650101199001011234", "65010119900101123X", None),
        (None, "", "", household.pk),
        (person.pk, "65010119900101123X", "", None),
    ]


def _police_version(county, rows, previous=None):
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    user = county["police"]
    sub = x.submission(ds, user.unit, user, rows)
    if previous is not None:
        sub.previous = previous
        sub.save(update_fields=["previous"])
    return sub


def _row(number: str, name: str) -> dict:
    return {
        "household_number": "H001",
        "name": name,
        "id_number": number,
        "sex": "男",
        "birth_date": "1980-01-01",
        "township": "英吉沙镇",
        "village": "一村",
        "status": "正常",
    }


def test_the_next_version_compares_only_the_rows_that_differ_and_the_persons_changed_since(county) -> None:
    # Given a police list applied, then one of its persons changed in the register by someone else
    a, b, c = f.id_number(), f.id_number(), f.id_number()
    first = _police_version(county, [_row(a, "艾力"), _row(b, "买买提"), _row(c, "古丽")])
    services.register_apply(actor=None, submission=first)
    Person.objects.filter(id_number=b).update(name="别的名字")

    # When the next version renames a (the exchange says a's row differs) and leaves b and c as they were
    second = _police_version(county, [_row(a, "艾力·吐尔逊"), _row(b, "买买提"), _row(c, "古丽")], previous=first)
    differing = pl.Series([a], dtype=pl.String)
    result = services.register_apply(actor=None, submission=second, differing=differing)

    # Then a and b are compared (b changed since), c is not; a is renamed and b has the list's name again
    tracked = connection.vendor == "sqlite"
    assert result.compared == (2 if tracked else 3)
    assert (result.rows, result.updated, result.unchanged, result.created) == (3, 2, 1, 0)
    assert Person.objects.get(id_number=a).name == "艾力·吐尔逊"
    assert Person.objects.get(id_number=b).name == "买买提"

    # When the triggers are gone (a SQLite table rebuilt without them) and a third version comes
    if tracked:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER registry_person_changed")
    third = _police_version(county, [_row(a, "艾力·吐尔逊"), _row(b, "买买提"), _row(c, "古丽")], previous=second)
    result = services.register_apply(actor=None, submission=third, differing=pl.Series([], dtype=pl.String))

    # Then it compares the whole list
    assert (result.compared, result.unchanged) == (3, 3)


@pytest.fixture
def county():
    f.county()
    return {"police": f.department("police")}
