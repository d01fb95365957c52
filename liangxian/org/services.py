"""Every write of the organisation: units, users, data contacts, township posts, collectors, handlers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.audit import audit_record
from liangxian.core.models import Division, DivisionLevel
from liangxian.core.scope import Actor

from . import rules
from .errors import (
    AlreadyAuthorised,
    AlreadyWithdrawn,
    DivisionsMissing,
    FilingRequired,
    OrgInvalid,
    OrgPermissionDenied,
)
from .models import (
    CollectorAuthorisation,
    DataContact,
    Department,
    Role,
    SpecialistFiling,
    TownshipAppointment,
    TownshipPost,
    Unit,
    UnitKind,
    User,
    VillageHandler,
)

# collector_is_authorised and collector_check are reads; they live in selectors and are named here too so
# that whoever records cash finds them beside the writes (Art 30).
from .selectors import collector_check, collector_is_authorised

__all__ = [
    "BootstrapResult",
    "collector_authorise",
    "collector_check",
    "collector_is_authorised",
    "collector_withdraw",
    "data_contact_designate",
    "org_bootstrap",
    "roles_groups_ensure",
    "specialist_filing_file",
    "specialist_replace",
    "township_appoint",
    "user_create",
    "user_groups_sync",
    "user_password_set",
    "user_update",
    "village_handler_add",
    "village_handler_deactivate",
    "village_handler_update",
]

# The department units' names, from the county's name (SPEC section 1).
DEPARTMENT_NAMES: dict[str, str] = {
    Department.TAX: "{county}税务局",
    Department.MEDICAL: "{county}医疗保障局",
    Department.SOCIAL: "{county}人力资源和社会保障局",
    Department.FINANCE: "{county}财政局",
    Department.CIVIL: "{county}民政局",
    Department.REVITAL: "{county}乡村振兴局",
    Department.POLICE: "{county}公安局",
    Department.JUSTICE: "{county}司法局",
    Department.DISABLED: "{county}残疾人联合会",
    Department.EDUCATION: "{county}教育局",
    Department.PUBLICITY: "中共{county}委宣传部",
    Department.PBC: "中国人民银行{county}支行",
    Department.DISCIPLINE: "{county}纪委监委",
    Department.AUDIT: "{county}审计局",
}
# The commercial banks that run bank channels (Art 4); the county adds others in the admin.
BANKS: tuple[tuple[str, str], ...] = (
    ("abc", "中国农业银行{county}支行"),
    ("rcc", "{county}农村信用合作联社"),
)


def _actor(user: User | None) -> Actor | None:
    return Actor.of(user) if user is not None else None


def _require(allowed: bool) -> None:
    if not allowed:
        raise OrgPermissionDenied()


def _is_system_or(user: User | None, predicate: bool) -> bool:
    """Allow a system call (no user: commands and bootstrap) or an actor the predicate admits."""
    return user is None or predicate


def _today() -> dt.date:
    return timezone.localdate()


@dataclass
class BootstrapResult:
    """What org_bootstrap created; zero everywhere on a second run."""

    created: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.created.values())


def roles_groups_ensure() -> dict[str, Group]:
    """Make sure each role has its Django group of the same name."""
    return {role.value: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def user_groups_sync(user: User) -> None:
    """Put the user in his role's group and out of every other role's group."""
    groups = roles_groups_ensure()
    others = [g for name, g in groups.items() if name != user.role]
    user.groups.remove(*others)
    user.groups.add(groups[user.role])


def org_bootstrap(*, actor: User | None = None, county_code: str = "653123") -> BootstrapResult:
    """Create the county's department, township, village and bank units from its divisions (SPEC 1)."""
    if actor is not None:
        _require(rules.is_sysadmin(Actor.of(actor)))
    county = Division.objects.filter(code=county_code).first()
    if county is None:
        raise DivisionsMissing()
    result = BootstrapResult(created={"department": 0, "township": 0, "village": 0, "bank": 0, "group": 0})
    with transaction.atomic():
        existing_groups = set(Group.objects.filter(name__in=Role.values).values_list("name", flat=True))
        roles_groups_ensure()
        result.created["group"] = len(Role.values) - len(existing_groups)
        for dept in Department:
            _, created = Unit.objects.get_or_create(
                code=f"{county.code}-{dept.value}",
                defaults={
                    "name": DEPARTMENT_NAMES[dept].format(county=county.name),
                    "kind": UnitKind.DEPARTMENT,
                    "department": dept.value,
                    "division": county,
                },
            )
            result.created["department"] += created
        for key, pattern in BANKS:
            _, created = Unit.objects.get_or_create(
                code=f"{county.code}-bank-{key}",
                defaults={"name": pattern.format(county=county.name), "kind": UnitKind.BANK, "division": county},
            )
            result.created["bank"] += created
        townships = Division.objects.filter(parent=county, level=DivisionLevel.TOWNSHIP).order_by("code")
        for township in townships:
            t_unit, created = Unit.objects.get_or_create(
                code=township.code,
                defaults={"name": township.name, "kind": UnitKind.TOWNSHIP, "division": township},
            )
            result.created["township"] += created
            villages = Division.objects.filter(parent=township, level=DivisionLevel.VILLAGE).order_by("code")
            have = set(Unit.objects.filter(code__in=[v.code for v in villages]).values_list("code", flat=True))
            new = [
                Unit(code=v.code, name=v.name, kind=UnitKind.VILLAGE, division=v, parent=t_unit)
                for v in villages
                if v.code not in have
            ]
            for unit in new:
                # Saved one by one so that simple-history records each unit's creation.
                unit.save()
            result.created["village"] += len(new)
        if result.total:
            audit_record(
                actor=actor,
                action="org.bootstrap",
                object_type="org.unit",
                object_id=county.code,
                payload={"created": result.created},
            )
    return result


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    unit: Unit | None,
    role: str,
    full_name: str,
    phone: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user acting for a unit in a role, in his role's group (a password or a ready hash)."""
    _require(_is_system_or(actor, actor is not None and rules.is_sysadmin(Actor.of(actor))))
    if role not in Role.values:
        raise OrgInvalid(_("Unknown role: %(role)s") % {"role": role})
    if User.objects.filter(username=username).exists():
        raise OrgInvalid(_("The username %(username)s is taken.") % {"username": username})
    with transaction.atomic():
        user = User(
            username=username,
            unit=unit,
            role=role,
            full_name=full_name,
            phone=phone,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        if password:
            user.set_password(password)
        elif password_hash:
            user.password = password_hash
        else:
            user.set_unusable_password()
        user.save()
        user_groups_sync(user)
        audit_record(
            actor=actor,
            action="org.user_create",
            obj=user,
            payload={"username": username, "unit": unit.code if unit else "", "role": role},
        )
    return user


def user_update(
    *,
    actor: User | None,
    user: User,
    unit: Unit | None = None,
    role: str | None = None,
    full_name: str | None = None,
    phone: str | None = None,
) -> User:
    """Change a user's unit, role, name or phone, keeping his role's group in step."""
    _require(_is_system_or(actor, actor is not None and rules.is_sysadmin(Actor.of(actor))))
    if role is not None and role not in Role.values:
        raise OrgInvalid(_("Unknown role: %(role)s") % {"role": role})
    changes: dict[str, Any] = {}
    with transaction.atomic():
        for name, value in (("unit", unit), ("role", role), ("full_name", full_name), ("phone", phone)):
            if value is not None and getattr(user, name) != value:
                changes[name] = value.code if isinstance(value, Unit) else value
                setattr(user, name, value)
        if not changes:
            return user
        user.save()
        user_groups_sync(user)
        audit_record(actor=actor, action="org.user_update", obj=user, payload=changes)
    return user


def user_password_set(
    *, actor: User | None, user: User, password: str | None = None, password_hash: str | None = None
) -> None:
    """Set a user's password, or a ready hash of one (neither is ever audited)."""
    _require(_is_system_or(actor, actor is not None and (actor == user or rules.is_sysadmin(Actor.of(actor)))))
    if not password and not password_hash:
        raise OrgInvalid(_("A password is required."))
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.password = password_hash or ""
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="org.user_password_set", obj=user)


def data_contact_designate(*, actor: User | None, unit: Unit, user: User, since: dt.date | None = None) -> DataContact:
    """Designate a department's data contact, ending the current one's term (Art 22)."""
    _require(_is_system_or(actor, actor is not None and rules.can_designate_contact(Actor.of(actor), unit.code)))
    if unit.kind != UnitKind.DEPARTMENT:
        raise OrgInvalid(_("Only a county department designates a data contact."))
    if user.unit_id != unit.pk:
        raise OrgInvalid(_("The data contact must be a user of the department itself."))
    since = since or _today()
    with transaction.atomic():
        current = DataContact.objects.select_for_update().filter(unit=unit, until__isnull=True).first()
        if current is not None:
            if current.user_id == user.pk:
                raise OrgInvalid(_("This person is already the department's data contact."))
            if since < current.since:
                raise OrgInvalid(_("The new term cannot start before the current one."))
            current.until = since
            current.save(update_fields=["until"])
        contact = DataContact.objects.create(unit=unit, user=user, since=since, designated_by=actor or user)
        audit_record(
            actor=actor,
            action="org.data_contact_designate",
            obj=contact,
            payload={"unit": unit.code, "user": user.username, "since": since, "previous": current and current.pk},
        )
    return contact


def _close_current(township: Unit, post: str, since: dt.date) -> TownshipAppointment | None:
    current = (
        TownshipAppointment.objects.select_for_update().filter(township=township, post=post, until__isnull=True).first()
    )
    if current is not None:
        if since < current.since:
            raise OrgInvalid(_("The new term cannot start before the current one."))
        current.until = since
        current.save(update_fields=["until"])
    return current


def _check_township_person(township: Unit, user: User) -> None:
    if township.kind != UnitKind.TOWNSHIP:
        raise OrgInvalid(_("Only a township has a leader in charge and a specialist."))
    if user.unit_id != township.pk:
        raise OrgInvalid(_("The person must be a user of the township."))


def township_appoint(
    *, actor: User | None, township: Unit, post: str, user: User, since: dt.date | None = None
) -> TownshipAppointment:
    """Appoint a township's leader in charge (Art 41), or its first specialist (Art 31)."""
    _require(_is_system_or(actor, actor is not None and rules.can_manage_township(Actor.of(actor), township.code)))
    if post not in TownshipPost.values:
        raise OrgInvalid(_("Unknown post: %(post)s") % {"post": post})
    _check_township_person(township, user)
    since = since or _today()
    with transaction.atomic():
        if post == TownshipPost.SPECIALIST:
            current = TownshipAppointment.objects.filter(township=township, post=post, until__isnull=True).first()
            if current is not None and current.user_id != user.pk:
                # A sitting specialist leaves only through specialist_replace, after a filing (Art 31).
                raise FilingRequired()
            if current is not None:
                raise OrgInvalid(_("This person already holds the post."))
            previous = None
        else:
            previous = _close_current(township, post, since)
            if previous is not None and previous.user_id == user.pk:
                raise OrgInvalid(_("This person already holds the post."))
        appointment = TownshipAppointment.objects.create(township=township, post=post, user=user, since=since)
        audit_record(
            actor=actor,
            action="org.township_appoint",
            obj=appointment,
            payload={
                "township": township.code,
                "post": post,
                "user": user.username,
                "since": since,
                "previous": previous and previous.pk,
            },
        )
    return appointment


def specialist_filing_file(
    *, actor: User, township: Unit, outgoing: User, incoming: User, reason: str
) -> SpecialistFiling:
    """File in advance with tax, medical and social security the replacement of the specialist (Art 31)."""
    _require(rules.can_file_specialist_change(Actor.of(actor), township.code))
    _check_township_person(township, incoming)
    if not reason.strip():
        raise OrgInvalid(_("State the special circumstances that require the replacement."))
    current = TownshipAppointment.objects.filter(
        township=township, post=TownshipPost.SPECIALIST, until__isnull=True
    ).first()
    if current is None or current.user_id != outgoing.pk:
        raise OrgInvalid(_("The outgoing person is not the township's current specialist."))
    if outgoing.pk == incoming.pk:
        raise OrgInvalid(_("The incoming specialist must be another person."))
    county = township.division_id[:6]
    recipients = list(
        Unit.objects.filter(
            kind=UnitKind.DEPARTMENT, department__in=rules.FILING_RECIPIENTS, division_id=county, active=True
        )
    )
    if {u.department for u in recipients} != set(rules.FILING_RECIPIENTS):
        raise OrgInvalid(_("The tax, medical insurance and social security units must exist to receive the filing."))
    with transaction.atomic():
        filing = SpecialistFiling.objects.create(
            township=township,
            outgoing=outgoing,
            incoming=incoming,
            reason=reason.strip(),
            filed_by=actor,
            filed_at=timezone.now(),
        )
        filing.recipients.set(recipients)
        audit_record(
            actor=actor,
            action="org.specialist_filing_file",
            obj=filing,
            payload={
                "township": township.code,
                "outgoing": outgoing.username,
                "incoming": incoming.username,
                "recipients": sorted(u.code for u in recipients),
            },
        )
    return filing


def specialist_replace(
    *, actor: User | None, township: Unit, incoming: User, since: dt.date | None = None
) -> TownshipAppointment:
    """Replace the township's specialist, only after an unused prior filing for the pair (Art 31)."""
    _require(_is_system_or(actor, actor is not None and rules.can_manage_township(Actor.of(actor), township.code)))
    _check_township_person(township, incoming)
    since = since or _today()
    with transaction.atomic():
        current = (
            TownshipAppointment.objects.select_for_update()
            .filter(township=township, post=TownshipPost.SPECIALIST, until__isnull=True)
            .first()
        )
        if current is None:
            raise OrgInvalid(_("The township has no specialist to replace; appoint one instead."))
        if current.user_id == incoming.pk:
            raise OrgInvalid(_("This person already holds the post."))
        filing = (
            SpecialistFiling.objects.select_for_update()
            .filter(township=township, outgoing_id=current.user_id, incoming=incoming, used_at__isnull=True)
            .order_by("filed_at")
            .first()
        )
        if filing is None:
            raise FilingRequired()
        if since < current.since:
            raise OrgInvalid(_("The new term cannot start before the current one."))
        current.until = since
        current.save(update_fields=["until"])
        filing.used_at = timezone.now()
        filing.save(update_fields=["used_at"])
        appointment = TownshipAppointment.objects.create(
            township=township, post=TownshipPost.SPECIALIST, user=incoming, since=since, filing=filing
        )
        audit_record(
            actor=actor,
            action="org.specialist_replace",
            obj=appointment,
            payload={
                "township": township.code,
                "outgoing": current.user_id,
                "incoming": incoming.username,
                "filing": filing.pk,
                "since": since,
            },
        )
    return appointment


def collector_authorise(
    *,
    actor: User,
    collector: User,
    village: Unit,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> CollectorAuthorisation:
    """Authorise a village collection assistant to collect in his village (Art 30: tax grants)."""
    _require(rules.can_authorise_collectors(Actor.of(actor)))
    if village.kind != UnitKind.VILLAGE:
        raise OrgInvalid(_("A collector is authorised for a village."))
    if collector.role != Role.COLLECTOR or collector.unit_id != village.pk:
        raise OrgInvalid(_("Only a collection assistant of this village can be authorised for it."))
    if valid_until is not None and valid_until < valid_from:
        raise OrgInvalid(_("The authorisation cannot end before it starts."))
    with transaction.atomic():
        open_one = (
            CollectorAuthorisation.objects.select_for_update()
            .filter(collector=collector, village=village, withdrawn_at__isnull=True)
            .first()
        )
        if open_one is not None:
            if open_one.valid_until is None or open_one.valid_until >= valid_from:
                raise AlreadyAuthorised()
            # A lapsed term is closed so that the new one is the only open authorisation.
            open_one.withdrawn_at = timezone.now()
            open_one.withdrawn_by = actor
            open_one.withdraw_reason = _("Lapsed; superseded by a new authorisation.")
            open_one.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        authorisation = CollectorAuthorisation.objects.create(
            collector=collector,
            village=village,
            granted_by=actor,
            granted_at=timezone.now(),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        audit_record(
            actor=actor,
            action="org.collector_authorise",
            obj=authorisation,
            payload={
                "collector": collector.username,
                "village": village.code,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "superseded": open_one and open_one.pk,
            },
        )
    return authorisation


def collector_withdraw(*, actor: User, authorisation: CollectorAuthorisation, reason: str) -> CollectorAuthorisation:
    """Withdraw a collector's authorisation from today on (Art 30: tax withdraws)."""
    _require(rules.can_authorise_collectors(Actor.of(actor)))
    if not reason.strip():
        raise OrgInvalid(_("State the reason for the withdrawal."))
    with transaction.atomic():
        authorisation = CollectorAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if authorisation.withdrawn_at is not None:
            raise AlreadyWithdrawn()
        authorisation.withdrawn_at = timezone.now()
        authorisation.withdrawn_by = actor
        authorisation.withdraw_reason = reason.strip()
        authorisation.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        audit_record(
            actor=actor,
            action="org.collector_withdraw",
            obj=authorisation,
            payload={
                "collector": authorisation.collector_id,
                "village": authorisation.village_id,
                "reason": authorisation.withdraw_reason,
            },
        )
    return authorisation


HANDLER_FIELDS = ("name", "post", "phone", "duties", "name_ug", "post_ug", "duties_ug", "user", "order")


def _check_handler_scope(actor: User | None, village: Unit) -> None:
    _require(_is_system_or(actor, actor is not None and rules.can_manage_village(Actor.of(actor), village.code)))
    if village.kind != UnitKind.VILLAGE:
        raise OrgInvalid(_("Handlers are published for a village."))


def _handler_payload(handler: VillageHandler) -> dict[str, Any]:
    return {
        "village": handler.village.code,
        "name": handler.name,
        "post": handler.post,
        "phone": handler.phone,
        "active": handler.active,
    }


def village_handler_add(
    *,
    actor: User | None,
    village: Unit,
    name: str,
    post: str,
    phone: str,
    duties: str,
    name_ug: str = "",
    post_ug: str = "",
    duties_ug: str = "",
    user: User | None = None,
    order: int = 0,
) -> VillageHandler:
    """Add a person to a village's published handlers (Art 31: the township's staff keep the list)."""
    _check_handler_scope(actor, village)
    with transaction.atomic():
        handler = VillageHandler.objects.create(
            village=village,
            name=name.strip(),
            post=post.strip(),
            phone=phone.strip(),
            duties=duties.strip(),
            name_ug=name_ug.strip(),
            post_ug=post_ug.strip(),
            duties_ug=duties_ug.strip(),
            user=user,
            order=order,
        )
        audit_record(actor=actor, action="org.village_handler_add", obj=handler, payload=_handler_payload(handler))
    return handler


def village_handler_update(*, actor: User | None, handler: VillageHandler, **changes: Any) -> VillageHandler:
    """Change a published handler's name, post, phone, duties or order (Art 31)."""
    _check_handler_scope(actor, handler.village)
    unknown = set(changes) - set(HANDLER_FIELDS)
    if unknown:
        raise OrgInvalid(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        changed = {}
        for name, value in changes.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(handler, name) != value:
                setattr(handler, name, value)
                changed[name] = value.pk if hasattr(value, "pk") else value
        if not changed:
            return handler
        handler.save()
        audit_record(actor=actor, action="org.village_handler_update", obj=handler, payload=changed)
    return handler


def village_handler_deactivate(*, actor: User | None, handler: VillageHandler) -> VillageHandler:
    """Take a handler off the village's notice, keeping the record."""
    _check_handler_scope(actor, handler.village)
    with transaction.atomic():
        handler.active = False
        handler.save(update_fields=["active"])
        audit_record(
            actor=actor, action="org.village_handler_deactivate", obj=handler, payload=_handler_payload(handler)
        )
    return handler
