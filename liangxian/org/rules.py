"""Who may do what in the organisation: pure predicates over the acting unit and role (Art 21-22, 30-31)."""

from __future__ import annotations

from liangxian.core.scope import Actor

# Township roles that staff its social-security office and may file the specialist's replacement (Art 31).
TOWNSHIP_OFFICE_ROLES = frozenset({"specialist", "staff"})
# Township roles that may appoint and replace its leader in charge and specialist.
TOWNSHIP_MANAGER_ROLES = frozenset({"township_leader", "leader", "specialist", "staff"})
# Departments to which a specialist's replacement is filed in advance (Art 31).
FILING_RECIPIENTS = ("tax", "medical", "social")


def is_sysadmin(actor: Actor) -> bool:
    """Tell whether the actor administers the whole system."""
    return actor.is_superuser or actor.role == "sysadmin"


def is_department(actor: Actor, department: str) -> bool:
    """Tell whether the actor acts for the given county department."""
    return actor.unit_kind == "department" and actor.department == department


def is_tax(actor: Actor) -> bool:
    """Tell whether the actor acts for the tax bureau, which leads collection (Art 4, 30)."""
    return is_department(actor, "tax")


def is_township(actor: Actor) -> bool:
    """Tell whether the actor acts for a township government."""
    return actor.unit_kind == "township"


def can_authorise_collectors(actor: Actor) -> bool:
    """Tell whether the actor may grant or withdraw a collector's authorisation (Art 30: tax only)."""
    return is_tax(actor) or is_sysadmin(actor)


def can_designate_contact(actor: Actor, unit_code: str) -> bool:
    """Tell whether the actor may designate the data contact of this department (Art 22: its own)."""
    return is_sysadmin(actor) or (actor.unit_kind == "department" and actor.unit_code == unit_code)


def can_manage_township(actor: Actor, township_code: str) -> bool:
    """Tell whether the actor may appoint this township's leader in charge and specialist."""
    if is_sysadmin(actor):
        return True
    return is_township(actor) and actor.unit_code == township_code and actor.role in TOWNSHIP_MANAGER_ROLES


def can_file_specialist_change(actor: Actor, township_code: str) -> bool:
    """Tell whether the actor may file the specialist's replacement (the township's office, Art 31)."""
    if is_sysadmin(actor):
        return True
    return is_township(actor) and actor.unit_code == township_code and actor.role in TOWNSHIP_OFFICE_ROLES


def can_manage_village(actor: Actor, village_code: str) -> bool:
    """Tell whether the actor may edit this village's handlers (its own township's staff, Art 31)."""
    if is_sysadmin(actor):
        return True
    # Division codes nest: a village's 12-digit code starts with its township's 9 digits.
    return is_township(actor) and bool(actor.division_code) and village_code.startswith(actor.division_code)
