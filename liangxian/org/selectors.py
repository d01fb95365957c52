"""Every read of the organisation: units, posts, contacts, filings, collectors and handlers."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .errors import CollectorNotAuthorised
from .models import (
    CollectorAuthorisation,
    DataContact,
    SpecialistFiling,
    TownshipAppointment,
    TownshipPost,
    Unit,
    UnitKind,
    User,
    VillageHandler,
)


def unit_list(*, kind: str | None = None, parent: Unit | None = None) -> QuerySet[Unit]:
    """List the active units, optionally of one kind or under one parent (organisation data, not personal)."""
    qs = Unit.objects.filter(active=True).select_related("division", "parent")
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs.order_by("kind", "code")


def townships_with_village_counts() -> QuerySet[Unit]:
    """List the townships with how many active villages each has."""
    return (
        Unit.objects.filter(kind=UnitKind.TOWNSHIP, active=True)
        .annotate(village_count=Count("children", filter=Q(children__active=True, children__kind=UnitKind.VILLAGE)))
        .order_by("code")
    )


def unit_get(*, code: str) -> Unit:
    """Fetch one unit by its code, or raise Unit.DoesNotExist."""
    return Unit.objects.select_related("division", "parent").get(code=code)


def unit_users(*, unit: Unit) -> QuerySet[User]:
    """List the active users acting for a unit."""
    return User.objects.filter(unit=unit, is_active=True).order_by("username")


def user_list() -> QuerySet[User]:
    """List every user with his unit, for the users command and the admin."""
    return User.objects.select_related("unit").order_by("unit__kind", "unit__code", "username")


def data_contact_current(*, unit: Unit) -> DataContact | None:
    """Return the department's current data contact (Art 22), if it has one."""
    return DataContact.objects.select_related("user").filter(unit=unit, until__isnull=True).first()


def data_contact_history(*, unit: Unit) -> QuerySet[DataContact]:
    """List the department's data contacts, newest first, the ended terms included."""
    return DataContact.objects.select_related("user", "designated_by").filter(unit=unit).order_by("-since", "-pk")


def appointment_current(*, township: Unit, post: str) -> TownshipAppointment | None:
    """Return who holds a township post now."""
    return (
        TownshipAppointment.objects.select_related("user")
        .filter(township=township, post=post, until__isnull=True)
        .first()
    )


def appointments_history(*, township: Unit) -> QuerySet[TownshipAppointment]:
    """List the township's appointments, newest first."""
    return (
        TownshipAppointment.objects.select_related("user", "filing").filter(township=township).order_by("-since", "-pk")
    )


def specialist_current(*, township: Unit) -> User | None:
    """Return the township's current labour and social-security specialist (Art 31)."""
    appointment = appointment_current(township=township, post=TownshipPost.SPECIALIST)
    return appointment.user if appointment else None


def filings_for(*, township: Unit) -> QuerySet[SpecialistFiling]:
    """List the township's filings for replacing its specialist, newest first (Art 31)."""
    return (
        SpecialistFiling.objects.select_related("outgoing", "incoming", "filed_by")
        .prefetch_related("recipients")
        .filter(township=township)
        .order_by("-filed_at")
    )


def filings_received(*, unit: Unit) -> QuerySet[SpecialistFiling]:
    """List the filings a department received (tax, medical insurance, social security; Art 31)."""
    return (
        SpecialistFiling.objects.select_related("township", "outgoing", "incoming")
        .filter(recipients=unit)
        .order_by("-filed_at")
    )


def authorisations_for(*, village: Unit) -> QuerySet[CollectorAuthorisation]:
    """List a village's collector authorisations, open ones first (Art 30)."""
    return (
        CollectorAuthorisation.objects.select_related("collector", "granted_by", "withdrawn_by")
        .filter(village=village)
        .order_by("withdrawn_at", "-granted_at")
    )


def _authorised_on(on: dt.date) -> Q:
    """Match authorisations in force on a day: begun, not expired, not withdrawn by that day."""
    # A withdrawal takes effect from the start of its local day; earlier days stay authorised, so that a
    # record of cash taken before the withdrawal still checks out.
    start_of_next_day = timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))
    return (
        Q(valid_from__lte=on)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        & (Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=start_of_next_day))
    )


def collector_is_authorised(*, collector: User, village: Unit, on: dt.date) -> bool:
    """Tell whether tax had authorised the collector to collect in the village on that day (Art 30)."""
    return CollectorAuthorisation.objects.filter(_authorised_on(on), collector=collector, village=village).exists()


def collector_check(*, collector: User, village: Unit, on: dt.date | None = None) -> None:
    """Raise CollectorNotAuthorised unless tax authorised the collector for the village that day (Art 30)."""
    if not collector_is_authorised(collector=collector, village=village, on=on or timezone.localdate()):
        raise CollectorNotAuthorised()


def collector_villages(*, collector: User, on: dt.date) -> QuerySet[Unit]:
    """List the villages the collector is authorised for on a day."""
    ids = CollectorAuthorisation.objects.filter(_authorised_on(on), collector=collector).values("village_id")
    return Unit.objects.filter(pk__in=ids).order_by("code")


def handlers_for(*, village: Unit, include_inactive: bool = False) -> QuerySet[VillageHandler]:
    """List a village's handlers in notice order (Art 31)."""
    qs = VillageHandler.objects.select_related("user").filter(village=village)
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("-active", "order", "pk")
