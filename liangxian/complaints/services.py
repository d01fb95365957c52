"""Every write of complaints and inquiries: one named action, one transaction, one audit row (Art 24, 43)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.core.access import access_log
from liangxian.core.audit import audit_record
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.org.models import Role, User

from . import seal
from .models import (
    Assignment,
    ChannelDepartment,
    Complaint,
    ComplaintStatus,
    Handover,
    Inquiry,
    PublicAttempt,
    ReceivedVia,
    ReportChannel,
    SealedIdentity,
    Step,
)

COMPLAINT_DEPARTMENTS = frozenset(ChannelDepartment.values)
ASSIGNING_DEPARTMENTS = frozenset({"discipline", "tax"})
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
WINDOW = timedelta(minutes=15)
FOLLOW_FAILURE_LIMIT = 10
REPORTS_PER_HOUR = 5


class ComplaintError(Exception):
    """A refused complaint or inquiry action, with a code the API maps to a status."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


FORBIDDEN_CODES = frozenset({"forbidden", "not_assigned"})
NOT_FOUND_CODES = frozenset({"not_found"})
CONFLICT_CODES = frozenset({"concluded", "answered", "already_assigned", "locked", "too_many"})


# --- who may do what ------------------------------------------------------------------------------------------


def department_of(user: Any) -> str:
    unit = getattr(user, "unit", None)
    return unit.department if unit is not None and unit.kind == "department" else ""


def may_receive(user: Any) -> bool:
    """Tell whether the user records complaints for one of the four receiving departments."""
    return bool(user.is_authenticated and department_of(user) in COMPLAINT_DEPARTMENTS)


def may_view_cases(user: Any) -> bool:
    """Tell whether the user sees the case list (never the identity)."""
    return bool(user.is_authenticated and (may_receive(user) or user.is_superuser))


def may_assign(user: Any) -> bool:
    """Tell whether the user is the discipline or tax head who assigns investigators."""
    return bool(
        user.is_authenticated
        and department_of(user) in ASSIGNING_DEPARTMENTS
        and user.role in (Role.LEADER, Role.TOWNSHIP_LEADER)
    )


def is_assigned(user: Any, complaint: Complaint) -> bool:
    """Tell whether the user is now assigned to investigate the complaint."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Assignment.objects.filter(complaint=complaint, investigator_id=user.pk, ended_at__isnull=True).exists()


def may_view_case(user: Any, complaint: Complaint) -> bool:
    return may_view_cases(user) or is_assigned(user, complaint)


def _get(complaint_id: int | None = None, number: str = "") -> Complaint:
    qs = Complaint.objects.select_for_update()
    found = qs.filter(pk=complaint_id).first() if complaint_id is not None else qs.filter(number=number).first()
    if found is None:
        raise ComplaintError("not_found", _("No such complaint."))
    return found


def _forbid() -> ComplaintError:
    return ComplaintError("forbidden", _("This is not within your duty."))


# --- channels -------------------------------------------------------------------------------------------------


def channel_update(
    *,
    by: User,
    department: str,
    mailbox: str,
    email: str,
    phone: str,
    hours: str = "",
    mailbox_ug: str = "",
    hours_ug: str = "",
) -> ReportChannel:
    """Publish a department's mailbox, e-mail and phone for complaints (Art 43); only that department edits it."""
    if department not in COMPLAINT_DEPARTMENTS:
        raise ComplaintError("bad_department", _("Unknown department."))
    if department_of(by) != department:
        raise _forbid()
    with transaction.atomic():
        channel, _created = ReportChannel.objects.select_for_update().get_or_create(department=department)
        channel.mailbox, channel.email, channel.phone, channel.hours = (
            mailbox.strip()[:200],
            email.strip()[:120],
            phone.strip()[:40],
            hours.strip()[:120],
        )
        channel.mailbox_ug, channel.hours_ug = mailbox_ug.strip()[:200], hours_ug.strip()[:120]
        channel.updated_by, channel.updated_at = by, timezone.now()
        channel.save()
        audit_record(
            actor=by,
            action="complaints.channel.update",
            obj=channel,
            payload={
                "department": department,
                "mailbox": channel.mailbox,
                "email": channel.email,
                "phone": channel.phone,
            },
        )
    return channel


# --- intake ---------------------------------------------------------------------------------------------------


def new_follow_code() -> str:
    """Return a random follow-up code such as ``K7QD-2M9X-PW4R``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    raw = "".join(c for c in code.upper() if c.isalnum())[:12]
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _next_number(year: int) -> str:
    prefix = f"JB{year}-"
    last = (
        Complaint.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    )
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


@dataclass(frozen=True)
class Intake:
    """The new complaint and the follow-up code, shown once to the reporter and then only its hash is kept."""

    complaint: Complaint
    follow_code: str


def complaint_receive(
    *,
    by: User | None,
    via: str,
    subject: str,
    text: str,
    township_code: str = "",
    village_code: str = "",
    identity: dict[str, str] | None = None,
    received_at: datetime | None = None,
) -> Intake:
    """Record a complaint or report (Art 43); seal the reporter's identity, if given, with the key outside the DB.

    ``by`` is the receiving clerk, or None for the public web form.
    """
    if by is not None and not may_receive(by):
        raise _forbid()
    if via not in ReceivedVia.values:
        raise ComplaintError("bad_channel", _("Unknown channel."))
    subject, text = subject.strip()[:200], text.strip()[:10000]
    if not subject or not text:
        raise ComplaintError("missing_text", _("Give the subject and what happened."))
    township_code, village_code = township_code.strip()[:12], village_code.strip()[:12]
    if (township_code and not township_code.isdigit()) or (village_code and not village_code.isdigit()):
        raise ComplaintError("bad_division", _("The township and village are division codes of digits."))
    if village_code and not township_code:
        township_code = village_code[:9]
    clean = {k: str((identity or {}).get(k, "") or "").strip()[:200] for k in seal.IDENTITY_FIELDS}
    has_identity = any(clean.values())
    token = seal.seal(clean) if has_identity else ""
    code = new_follow_code()
    now = timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            number=_next_number((received_at or now).year),
            follow_hash=make_password(code),
            received_via=via,
            receiving_unit=by.unit if by is not None else None,
            received_by=by,
            received_at=received_at or now,
            subject=subject,
            text=text,
            township_code=township_code,
            village_code=village_code,
            anonymous=not has_identity,
        )
        if has_identity:
            SealedIdentity.objects.create(complaint=complaint, token=token, sealed_at=now)
        audit_record(
            actor=by,
            action="complaints.complaint.receive",
            obj=complaint,
            payload={"number": complaint.number, "via": via, "anonymous": not has_identity},
        )
    return Intake(complaint=complaint, follow_code=code)


def client_hash(ip: str | None) -> str:
    """Hash a client address with the site's secret: enough to count its tries, not to name it."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _client_attempts(kind: str, ip: str | None, since: datetime, ok: bool) -> int:
    if not ip:
        return 0
    return PublicAttempt.objects.filter(kind=kind, client=client_hash(ip), at__gte=since, ok=ok).count()


def public_report(
    *,
    subject: str,
    text: str,
    township_code: str = "",
    village_code: str = "",
    identity: dict[str, str],
    ip: str | None,
) -> Intake:
    """File a complaint from the public form; a client address files at most five an hour."""
    now = timezone.now()
    if _client_attempts("report", ip, now - timedelta(hours=1), True) >= REPORTS_PER_HOUR:
        raise ComplaintError("too_many", _("Too many reports from this address. Try again later."))
    intake = complaint_receive(
        by=None,
        via=ReceivedVia.WEB,
        subject=subject,
        text=text,
        township_code=township_code,
        village_code=village_code,
        identity=identity,
    )
    PublicAttempt.objects.create(kind="report", client=client_hash(ip), at=now, ok=True)
    return intake


def public_follow(*, number: str, code: str, ip: str | None) -> Complaint:
    """Find the reporter's case by its number and follow-up code; ten failures in 15 minutes lock the address."""
    now = timezone.now()
    if _client_attempts("follow", ip, now - WINDOW, False) >= FOLLOW_FAILURE_LIMIT:
        raise ComplaintError("locked", _("Too many wrong tries. Try again in 15 minutes."))
    complaint = Complaint.objects.filter(number=number.strip().upper()[:20]).first()
    ok = complaint is not None and check_password(normalise_code(code), complaint.follow_hash)
    PublicAttempt.objects.create(kind="follow", client=client_hash(ip), at=now, ok=ok)
    if not ok or complaint is None:
        raise ComplaintError("not_found", _("No case matches this number and code."))
    return complaint


# --- investigation --------------------------------------------------------------------------------------------


def complaint_assign(*, by: User, complaint_id: int, investigator: User) -> Assignment:
    """Assign an investigator (the discipline or tax head's decision); only he may then read the identity."""
    if not may_assign(by):
        raise _forbid()
    if not investigator.is_active or investigator.unit is None or investigator.unit.kind != "department":
        raise ComplaintError("bad_investigator", _("An investigator is an active user of a county department."))
    with transaction.atomic():
        complaint = _get(complaint_id)
        if complaint.status == ComplaintStatus.CONCLUDED:
            raise ComplaintError("concluded", _("The case is concluded."))
        if Assignment.objects.filter(complaint=complaint, investigator=investigator, ended_at__isnull=True).exists():
            raise ComplaintError("already_assigned", _("This investigator is already assigned."))
        assignment = Assignment.objects.create(
            complaint=complaint, investigator=investigator, assigned_by=by, assigned_at=timezone.now()
        )
        if complaint.status == ComplaintStatus.RECEIVED:
            complaint.status = ComplaintStatus.ASSIGNED
            complaint.save(update_fields=["status"])
        audit_record(
            actor=by,
            action="complaints.complaint.assign",
            obj=complaint,
            payload={"number": complaint.number, "investigator": investigator.username},
        )
    return assignment


def complaint_unassign(*, by: User, complaint_id: int, investigator_id: int) -> Assignment:
    """End an investigator's assignment: from then on he cannot read the identity."""
    if not may_assign(by):
        raise _forbid()
    with transaction.atomic():
        complaint = _get(complaint_id)
        assignment = Assignment.objects.filter(
            complaint=complaint, investigator_id=investigator_id, ended_at__isnull=True
        ).first()
        if assignment is None:
            raise ComplaintError("not_found", _("No such assignment."))
        assignment.ended_at = timezone.now()
        assignment.save(update_fields=["ended_at"])
        audit_record(
            actor=by,
            action="complaints.complaint.unassign",
            obj=complaint,
            payload={"number": complaint.number, "investigator_id": investigator_id},
        )
    return assignment


def step_record(*, by: User, complaint_id: int, note: str) -> Step:
    """Record a step of the joint investigation by an assigned investigator or the head."""
    note = note.strip()[:4000]
    if not note:
        raise ComplaintError("missing_text", _("Say what was done."))
    with transaction.atomic():
        complaint = _get(complaint_id)
        if not (is_assigned(by, complaint) or may_assign(by)) or by.unit is None:
            raise _forbid()
        if complaint.status == ComplaintStatus.CONCLUDED:
            raise ComplaintError("concluded", _("The case is concluded."))
        step = Step.objects.create(complaint=complaint, unit=by.unit, by=by, at=timezone.now(), note=note)
        if complaint.status in (ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED):
            complaint.status = ComplaintStatus.INVESTIGATING
            complaint.save(update_fields=["status"])
        audit_record(
            actor=by,
            action="complaints.step.record",
            obj=complaint,
            payload={"number": complaint.number, "step": step.pk},
        )
    return step


def complaint_conclude(*, by: User, complaint_id: int, outcome: str, public_outcome: str) -> Complaint:
    """Conclude the case with its outcome and the outcome the reporter may read."""
    outcome, public_outcome = outcome.strip()[:8000], public_outcome.strip()[:2000]
    if not outcome or not public_outcome:
        raise ComplaintError("missing_text", _("Give the outcome and the outcome told to the reporter."))
    with transaction.atomic():
        complaint = _get(complaint_id)
        if not (is_assigned(by, complaint) or may_assign(by)):
            raise _forbid()
        if complaint.status == ComplaintStatus.CONCLUDED:
            raise ComplaintError("concluded", _("The case is concluded."))
        complaint.status = ComplaintStatus.CONCLUDED
        complaint.outcome, complaint.public_outcome = outcome, public_outcome
        complaint.concluded_at, complaint.concluded_by = timezone.now(), by
        complaint.save(update_fields=["status", "outcome", "public_outcome", "concluded_at", "concluded_by"])
        audit_record(
            actor=by, action="complaints.complaint.conclude", obj=complaint, payload={"number": complaint.number}
        )
    return complaint


def identity_reveal(*, by: User, complaint_id: int, channel: str = "web", path: str = "") -> dict[str, str]:
    """Open the reporter's identity for an assigned investigator; log the reading (access log and audit)."""
    complaint = Complaint.objects.filter(pk=complaint_id).first()
    if complaint is None:
        raise ComplaintError("not_found", _("No such complaint."))
    actor = Actor.of(by)
    if not is_assigned(by, complaint):
        access_log(
            actor=actor,
            action=AccessAction.DENIED,
            object_type="complaint.identity",
            object_ids=[complaint.pk],
            duty="supervision",
            channel=channel,
            query=path,
        )
        raise ComplaintError("not_assigned", _("Only an investigator assigned to this case can read the identity."))
    sealed = SealedIdentity.objects.filter(complaint=complaint).first()
    identity = seal.unseal(sealed.token) if sealed is not None else dict.fromkeys(seal.IDENTITY_FIELDS, "")
    with transaction.atomic():
        access_log(
            actor=actor,
            action=AccessAction.VIEW,
            object_type="complaint.identity",
            object_ids=[complaint.pk],
            duty="supervision",
            channel=channel,
            query=path,
        )
        audit_record(
            actor=by,
            action="complaints.identity.reveal",
            obj=complaint,
            payload={"number": complaint.number, "anonymous": sealed is None},
        )
    return identity


def seal_key_rotate(*, by: User | None) -> int:
    """Put a new key in front and re-encrypt every sealed identity under it; return how many were re-sealed."""
    seal.add_new_key()
    fernet = seal.fernet()
    with transaction.atomic():
        rows = list(SealedIdentity.objects.select_for_update().order_by("pk"))
        for row in rows:
            row.token = seal.rotate_token(row.token, fernet)
        SealedIdentity.objects.bulk_update(rows, ["token"], batch_size=500)
        audit_record(
            actor=by,
            action="complaints.seal.rotate",
            object_type="complaints.sealedidentity",
            payload={"rows": len(rows)},
        )
    return len(rows)


# --- inquiries (Art 24) ---------------------------------------------------------------------------------------


def _unit_required(user: User) -> Any:
    if not user.is_authenticated or user.unit is None:
        raise _forbid()
    return user.unit


def inquiry_record(
    *, by: User, asker: str, question: str, channel: str, received_at: datetime | None = None
) -> Inquiry:
    """Record an inquiry; whoever first received it owns it until it is answered (Art 24)."""
    unit = _unit_required(by)
    asker, question = asker.strip()[:120], question.strip()[:4000]
    if not asker or not question:
        raise ComplaintError("missing_text", _("Say who asked and what."))
    if channel not in ReceivedVia.values:
        raise ComplaintError("bad_channel", _("Unknown channel."))
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            asker=asker,
            question=question,
            channel=channel,
            received_by=by,
            received_unit=unit,
            received_at=received_at or timezone.now(),
            holder=by,
            holder_unit=unit,
        )
        audit_record(actor=by, action="complaints.inquiry.record", obj=inquiry, payload={"channel": channel})
    return inquiry


def _open_inquiry(inquiry_id: int, by: User) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
    if inquiry is None:
        raise ComplaintError("not_found", _("No such inquiry."))
    if by.pk not in (inquiry.received_by_id, inquiry.holder_id):
        raise _forbid()
    if inquiry.answered_at is not None:
        raise ComplaintError("answered", _("The inquiry is answered."))
    return inquiry


def inquiry_hand_over(*, by: User, inquiry_id: int, to: User, reason: str) -> Handover:
    """Pass an inquiry on, with the reason; the first receiver stays responsible until it is answered."""
    _unit_required(by)
    reason = reason.strip()[:2000]
    if not reason:
        raise ComplaintError("missing_text", _("Say why it is passed on."))
    if not to.is_active or to.unit is None:
        raise ComplaintError("bad_user", _("Pass it to an active user of a unit."))
    with transaction.atomic():
        inquiry = _open_inquiry(inquiry_id, by)
        if to.pk == inquiry.holder_id:
            raise ComplaintError("bad_user", _("The inquiry is already with this user."))
        handover = Handover.objects.create(
            inquiry=inquiry,
            from_user_id=inquiry.holder_id,
            from_unit_id=inquiry.holder_unit_id,
            to_user=to,
            to_unit=to.unit,
            at=timezone.now(),
            reason=reason,
        )
        inquiry.holder, inquiry.holder_unit = to, to.unit
        inquiry.save(update_fields=["holder", "holder_unit"])
        audit_record(
            actor=by, action="complaints.inquiry.hand_over", obj=inquiry, payload={"to": to.username, "reason": reason}
        )
    return handover


def inquiry_answer(*, by: User, inquiry_id: int, answer: str) -> Inquiry:
    """Answer the inquiry, which closes it (the first receiver or the one it was passed to)."""
    _unit_required(by)
    answer = answer.strip()[:4000]
    if not answer:
        raise ComplaintError("missing_text", _("Write the answer."))
    with transaction.atomic():
        inquiry = _open_inquiry(inquiry_id, by)
        inquiry.answer, inquiry.answered_at, inquiry.answered_by = answer, timezone.now(), by
        inquiry.save(update_fields=["answer", "answered_at", "answered_by"])
        audit_record(actor=by, action="complaints.inquiry.answer", obj=inquiry, payload={})
    return inquiry


def inquiry_answer_days() -> int:
    """The working days within which an inquiry should be answered (threshold data)."""
    return int(getattr(settings, "LIANGXIAN_INQUIRY_ANSWER_DAYS", 5))
