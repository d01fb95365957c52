"""The demo logins, made by the same code as `make demo`, with the home page each one must land on."""

from __future__ import annotations

from dataclasses import dataclass

from liangxian.core.divisions import DEFAULT_FILE, divisions_load
from liangxian.demo.users import demo_users_create
from liangxian.org.models import Unit
from liangxian.registry.models import Person

COUNTY = "653123"
# The home page each demo login must land on, stated here rather than computed by the code under test.
EXPECTED_HOME = {
    "tax": "tax",
    "tax_leader": "tax",
    "civil_leader": "civil",
    "revital_leader": "revital",
    "disabled_leader": "disabled",
    "medical": "insurance",
    "social": "insurance",
    "finance": "finance",
    "civil": "civil",
    "revital": "revital",
    "police": "police",
    "justice": "justice",
    "disabled": "disabled",
    "education": "education",
    "publicity": "publicity",
    "pbc": "pbc",
    "discipline": "supervision",
    "audit": "supervision",
    "township": "township",
    "township_leader": "township",
    "collector": "collector",
    "village_head": "village_head",
    "bank": "bank",
    "admin": "sysadmin",
}


@dataclass(frozen=True)
class Login:
    """A login the tests sign in with, and what its home page must show."""

    username: str
    password: str
    unit_name: str
    role: str
    key: str


def demo_logins() -> list[Login]:
    """Load the county's divisions, create the demo logins as `make demo` does, and two residents."""
    divisions_load(actor=None, path=DEFAULT_FILE, county=COUNTY)
    created = demo_users_create()
    collector_village = Unit.objects.get(users__username="collector")
    township = collector_village.parent
    assert township is not None
    for i in range(2):
        Person.objects.create(
            id_number=f"65312319900101{1000 + i}",
            name=f"居民{i}",
            township_code=township.division_id,
            village_code=collector_village.division_id,
        )
    return [
        Login(str(d.username), d.password, d.unit_name, str(d.role), EXPECTED_HOME[str(d.username)]) for d in created
    ]
