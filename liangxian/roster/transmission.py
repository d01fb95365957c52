"""The valid contribution roster passing from medical insurance and social security to tax (Art 7, 8).

Medical insurance approves and sends the medical roster, social security the pension roster, each from the
campaign's latest finished build; tax receives it, which runs ``roster.checks`` and raises one
``AbnormalItem`` per abnormal datum for the loop of ``roster.abnormal``. Sending fulfils the department's
``roster.to_tax`` obligation; a receipt with abnormal items raises tax's ``abnormal.feedback`` (2 working days).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Final

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.batch.bulk import bulk_insert
from liangxian.campaigns.models import InsuranceType
from liangxian.core.audit import audit_record
from liangxian.obligations.services import obligation_fulfil, obligation_raise
from liangxian.org.models import Department, Role, Unit, UnitKind

from . import checks
from .models import (
    AbnormalItem,
    AbnormalStatus,
    AbnormalStep,
    BuildStatus,
    RosterBuild,
    RosterTransmission,
    TransmissionStatus,
)

if TYPE_CHECKING:
    from liangxian.campaigns.models import Campaign
    from liangxian.org.models import User

# Which department approves and sends which insurance's roster (Art 7).
SENDING_DEPARTMENT: Final = {
    InsuranceType.MEDICAL.value: Department.MEDICAL.value,
    InsuranceType.PENSION.value: Department.SOCIAL.value,
}
SENDING_ROLES: Final = frozenset({Role.LEADER.value, Role.STAFF.value})
DETAIL_MAX: Final = 300


class RosterLoopError(Exception):
    """A step of the roster's passage to tax or of the abnormal-data loop that cannot be done, and why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def subject_of(transmission: RosterTransmission | int) -> str:
    """Name a transmission as the subject of its obligations."""
    pk = transmission if isinstance(transmission, int) else transmission.pk
    return f"roster.transmission:{pk}"


def insurance_label(insurance: str) -> str:
    """Name an insurance type in the active language."""
    return str(InsuranceType(insurance).label) if insurance in InsuranceType.values else insurance


def sending_unit(actor: User, insurance: str) -> Unit:
    """Return the actor's unit if it approves and sends this insurance's roster; raise otherwise."""
    if insurance not in SENDING_DEPARTMENT:
        raise RosterLoopError("bad_insurance", _("Unknown insurance type %(insurance)s.") % {"insurance": insurance})
    unit = actor.unit
    if (
        unit is None
        or unit.kind != UnitKind.DEPARTMENT
        or unit.department != SENDING_DEPARTMENT[insurance]
        or actor.role not in SENDING_ROLES
    ):
        raise RosterLoopError(
            "not_sender",
            _("Only the %(department)s approves and sends the roster of %(insurance)s.")
            % {
                "department": Department(SENDING_DEPARTMENT[insurance]).label,
                "insurance": insurance_label(insurance),
            },
        )
    return unit


def tax_unit(actor: User | None) -> Unit:
    """Return the tax bureau acting: the actor's unit, or for the system the county's tax bureau."""
    if actor is None:
        unit = Unit.objects.filter(kind=UnitKind.DEPARTMENT, department=Department.TAX, active=True).first()
    else:
        unit = actor.unit
    if unit is None or unit.kind != UnitKind.DEPARTMENT or unit.department != Department.TAX:
        raise RosterLoopError("not_tax", _("Only the tax bureau does this."))
    return unit


def latest_build(campaign: Campaign) -> RosterBuild | None:
    """Return the campaign's latest finished roster build."""
    return RosterBuild.objects.filter(campaign=campaign, status=BuildStatus.DONE).order_by("-number").first()


def _digest(campaign: Campaign, insurance: str) -> tuple[int, str]:
    """Count the transmitted entries and hash what tax will collect on (person, amounts, tiers, category)."""
    entries = checks.entries_frame(campaign, insurance).sort("person_id")
    body = entries.select("person_id", "id_number", "amount_fen", "gov_fen", "own_fen", "daijiao_category").write_csv()
    return entries.height, hashlib.sha256(body.encode()).hexdigest()


def roster_transmission_approve(*, actor: User, campaign: Campaign, insurance: str) -> RosterTransmission:
    """Approve the latest finished build's roster of one insurance for sending to tax (Art 7)."""
    unit = sending_unit(actor, insurance)
    build = latest_build(campaign)
    if build is None:
        raise RosterLoopError("no_build", _("The roster of this campaign has not been built yet."))
    with transaction.atomic():
        existing = (
            RosterTransmission.objects.select_for_update()
            .filter(campaign=campaign, insurance=insurance, build=build)
            .first()
        )
        if existing is not None:
            raise RosterLoopError(
                "already_approved",
                _("The roster of build %(number)s has already been approved on %(when)s.")
                % {"number": build.number, "when": timezone.localtime(existing.approved_at).strftime("%Y-%m-%d %H:%M")},
            )
        count, digest = _digest(campaign, insurance)
        sent = RosterTransmission.objects.create(
            campaign=campaign,
            insurance=insurance,
            build=build,
            unit=unit,
            entries=count,
            digest=digest,
            status=TransmissionStatus.APPROVED,
            approved_by=actor,
            approved_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="roster.transmission.approve",
            obj=sent,
            payload={
                "campaign": campaign.coverage_year,
                "insurance": insurance,
                "build": build.number,
                "entries": count,
                "digest": digest,
            },
        )
    return sent


def _department_of(actor: User, sent: RosterTransmission) -> Unit:
    unit = sending_unit(actor, sent.insurance)
    if unit.pk != sent.unit_id:
        raise RosterLoopError("not_sender", _("This roster was approved by another unit."))
    return unit


def roster_transmission_send(*, actor: User, transmission: RosterTransmission) -> RosterTransmission:
    """Send an approved roster to tax; fulfils the department's ``roster.to_tax`` obligation."""
    unit = _department_of(actor, transmission)
    with transaction.atomic():
        sent = RosterTransmission.objects.select_for_update().get(pk=transmission.pk)
        if sent.status != TransmissionStatus.APPROVED:
            raise RosterLoopError("not_approved", _("Only an approved roster not yet sent can be sent."))
        newest = latest_build(sent.campaign)
        if newest is not None and newest.pk != sent.build_id:
            raise RosterLoopError(
                "stale_build",
                _("The roster has been rebuilt since it was approved: approve build %(number)s instead.")
                % {"number": newest.number},
            )
        sent.status = TransmissionStatus.SENT
        sent.sent_at = timezone.now()
        sent.save(update_fields=["status", "sent_at"])
        audit_record(
            actor=actor,
            action="roster.transmission.send",
            obj=sent,
            payload={"insurance": sent.insurance, "entries": sent.entries, "digest": sent.digest},
        )
        obligation_fulfil(
            rule_code="roster.to_tax",
            unit=unit,
            ref=subject_of(sent),
            label=_("Roster of %(insurance)s sent to tax") % {"insurance": insurance_label(sent.insurance)},
            at=sent.sent_at,
            actor=actor,
            campaign=sent.campaign,
        )
    return sent


def _stamp(at: datetime) -> pl.Expr:
    """Write an aware moment as a UTC datetime literal for a bulk load."""
    return pl.lit(at.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))


def _items_frame(found: pl.DataFrame, sent: RosterTransmission, *, at: datetime) -> pl.DataFrame:
    stamp = _stamp(at)
    return found.select(
        pl.lit(sent.pk, dtype=pl.Int64).alias("transmission_id"),
        pl.col("entry_id"),
        pl.col("person_id"),
        pl.col("id_number").fill_null(""),
        pl.col("township_code").fill_null(""),
        pl.col("village_code").fill_null(""),
        pl.col("kind"),
        pl.col("detail").fill_null("").str.slice(0, DETAIL_MAX),
        pl.lit(AbnormalStatus.RAISED.value).alias("status"),
        pl.lit(sent.unit_id, dtype=pl.Int64).alias("department_id"),
        stamp.alias("raised_at"),
        pl.lit("").alias("resolution"),
    )


def steps_insert(
    item_ids: list[int], *, action: str, actor: User | None, unit: Unit, at: datetime, note: str = ""
) -> int:
    """Write one ``AbnormalStep`` per item in bulk."""
    frame = pl.DataFrame({"item_id": item_ids}, schema={"item_id": pl.Int64}).with_columns(
        pl.lit(action).alias("action"),
        pl.lit(actor.pk if actor is not None else None, dtype=pl.Int64).alias("actor_id"),
        pl.lit(unit.pk, dtype=pl.Int64).alias("unit_id"),
        _stamp(at).alias("at"),
        pl.lit(note).alias("note"),
    )
    return bulk_insert(AbnormalStep, frame)


def roster_transmission_receive(
    *, actor: User | None, transmission: RosterTransmission, today: date | None = None
) -> RosterTransmission:
    """Receive a sent roster as tax: check it, raise its abnormal items and tax's feedback obligation (Art 8).

    ``actor`` None is the system (the ``abnormal check`` command run by the operator) acting for tax.
    """
    unit = tax_unit(actor)
    at = timezone.now()
    day = today or timezone.localdate(at)
    with transaction.atomic():
        sent = RosterTransmission.objects.select_for_update().get(pk=transmission.pk)
        if sent.status != TransmissionStatus.SENT:
            raise RosterLoopError("not_sent", _("Only a roster sent to tax and not yet received can be received."))
        found, checked = checks.roster_check(sent.campaign, sent.insurance, today=day)
        bulk_insert(AbnormalItem, _items_frame(found, sent, at=at))
        item_ids = list(AbnormalItem.objects.filter(transmission=sent).order_by("id").values_list("id", flat=True))
        steps_insert(item_ids, action="raised", actor=actor, unit=unit, at=at)
        sent.status = TransmissionStatus.RECEIVED
        sent.received_by = actor
        sent.received_at = at
        sent.save(update_fields=["status", "received_by", "received_at"])
        by_kind = dict(found.group_by("kind").len().iter_rows()) if found.height else {}
        audit_record(
            actor=actor,
            action="roster.transmission.receive",
            obj=sent,
            payload={"checked": checked, "abnormal": len(item_ids), "by_kind": by_kind, "unit": unit.code},
        )
        if item_ids:
            obligation_raise(
                rule_code="abnormal.feedback",
                unit=unit,
                event_date=day,
                subject=subject_of(sent),
                subject_label=_("Abnormal data in the roster of %(insurance)s (%(count)s items)")
                % {"insurance": insurance_label(sent.insurance), "count": len(item_ids)},
                campaign=sent.campaign,
                actor=actor,
            )
    return sent
