"""Who is acting, for which unit, and which divisions that unit's duty reaches (Art 21)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from liangxian.org.models import User


class ScopeError(Exception):
    """The actor's unit has no duty that reaches this record."""

    code = "out_of_scope"


# Departments whose statutory duty needs the residents' register, and the duty named in the access log.
RESIDENT_DUTIES: dict[str, str] = {
    "tax": "collection",  # Art 8, 27
    "medical": "enrolment",  # Art 7
    "social": "enrolment",  # Art 7
    "police": "identity_verification",  # Art 12
    "discipline": "supervision",  # Art 40
    "audit": "supervision",  # Art 40
}
# Departments that need the full ID number, not the masked one.
FULL_ID_DEPARTMENTS = frozenset({"tax", "medical", "social", "police"})


@dataclass(frozen=True)
class Actor:
    """The acting user reduced to what scoping needs."""

    user_id: int | None
    unit_code: str
    unit_kind: str  # department, township, village, bank, or "" for none
    department: str
    role: str
    division_code: str
    is_superuser: bool = False

    @classmethod
    def of(cls, user: User) -> Actor:
        """Build the actor for a signed-in user."""
        unit = user.unit
        return cls(
            user_id=user.pk,
            unit_code=unit.code if unit else "",
            unit_kind=unit.kind if unit else "",
            department=unit.department if unit else "",
            role=user.role,
            division_code=unit.division_id if unit else "",
            is_superuser=user.is_superuser,
        )

    @property
    def resident_duty(self) -> str | None:
        """Name the duty for which this actor reads residents, or None if it has none."""
        if self.unit_kind == "village":
            return "village_collection"  # Art 27, 29
        if self.unit_kind == "township":
            return "township_collection"  # Art 17, 27
        if self.unit_kind == "department":
            return RESIDENT_DUTIES.get(self.department)
        return None

    @property
    def division_prefix(self) -> str | None:
        """Return the division-code prefix this actor may see residents under, or None for none."""
        if self.resident_duty is None:
            return None
        if self.unit_kind in ("village", "township"):
            return self.division_code
        return self.division_code[:6]  # a county department: its county

    def sees_division(self, code: str) -> bool:
        """Tell whether a record filed under this division code is within the actor's scope."""
        prefix = self.division_prefix
        return prefix is not None and code.startswith(prefix)

    @property
    def sees_full_id(self) -> bool:
        """Tell whether this actor's duty needs the whole ID number (else it is masked)."""
        return self.unit_kind == "department" and self.department in FULL_ID_DEPARTMENTS


def division_q(field: str, prefix: str | None) -> Q:
    """Filter a division-code column to a prefix; match nothing for None or empty (no duty reaches the records).

    The range on top of the prefix match lets SQLite use the column's index: its LIKE is case-insensitive and
    so cannot, while ``prefix <= code < prefix + ":"`` holds exactly the digit codes under the prefix.
    """
    if not prefix:
        return Q(pk__in=[])
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + ":", f"{field}__startswith": prefix})
