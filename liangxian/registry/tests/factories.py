"""A small county for tests: divisions, units, users in roles, and residents with valid ID numbers."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from liangxian.core.idnumbers import check_digit
from liangxian.core.models import Division, DivisionLevel
from liangxian.org.models import Role, Unit, UnitKind, User

__all__ = ["Role", "Unit", "UnitKind", "User"]
from liangxian.registry.models import Person

COUNTY = "653123"
TOWN_A = "653123100"
TOWN_B = "653123200"
VILLAGE_A1 = "653123100001"
VILLAGE_A2 = "653123100002"
VILLAGE_B1 = "653123200001"
PASSWORD = "correct-horse-battery-9"

_serial = itertools.count(1)


def county() -> dict[str, Division]:
    """Build Yengisar County with two townships and three villages; return them by code."""
    c = Division.objects.create(code=COUNTY, name="英吉沙县", level=DivisionLevel.COUNTY)
    ta = Division.objects.create(code=TOWN_A, name="英吉沙镇", level=DivisionLevel.TOWNSHIP, parent=c)
    tb = Division.objects.create(code=TOWN_B, name="芒辛镇", level=DivisionLevel.TOWNSHIP, parent=c)
    out = {d.code: d for d in (c, ta, tb)}
    for code, name, parent in ((VILLAGE_A1, "一村", ta), (VILLAGE_A2, "二村", ta), (VILLAGE_B1, "三村", tb)):
        out[code] = Division.objects.create(code=code, name=name, level=DivisionLevel.VILLAGE, parent=parent)
    return out


def unit(division_code: str, *, kind: str, department: str = "", code: str | None = None) -> Unit:
    """Create a unit for a division: a department of the county, a township or a village."""
    return Unit.objects.create(
        code=code or f"{kind}-{department or division_code}",
        name=f"{kind} {department or division_code}",
        kind=kind,
        department=department,
        division_id=division_code,
    )


def user(the_unit: Unit | None, role: str = Role.STAFF, *, username: str | None = None, **extra: Any) -> User:
    """Create a user acting for a unit in a role, with the shared test password."""
    name = username or f"u{next(_serial)}"
    return User.objects.create_user(username=name, password=PASSWORD, unit=the_unit, role=role, **extra)


def collector(village_code: str) -> User:
    """Create a village collection assistant of a village (Art 30)."""
    return user(unit(village_code, kind=UnitKind.VILLAGE, code=f"village-{village_code}"), Role.COLLECTOR)


def department(name: str) -> User:
    """Create a staff member of a county department (tax, publicity, …)."""
    return user(unit(COUNTY, kind=UnitKind.DEPARTMENT, department=name, code=f"dept-{name}"))


def id_number(born: date = date(1980, 1, 1), area: str = COUNTY) -> str:
    """Return a fresh valid 18-digit resident ID number."""
    body = f"{area}{born:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + check_digit(body)


def person(village_code: str, *, name: str = "阿卜杜拉·买买提", batch: str = "", **extra: Any) -> Person:
    """Register a resident of a village."""
    return Person.objects.create(
        id_number=extra.pop("id_number", None) or id_number(),
        name=name,
        sex=extra.pop("sex", "M"),
        birth_date=extra.pop("birth_date", date(1980, 1, 1)),
        township_code=village_code[:9],
        village_code=village_code,
        batch=batch,
        **extra,
    )
