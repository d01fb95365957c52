"""The payer's own lookup (SPEC 10): prove who he is, slowed and locked when guessed at; his proofs on demand.

A lookup attempt is recorded as a :class:`~.models.LookupAttempt` row (the keyed hash of the ID number typed,
the client address, the outcome), never in the audit chain: the chain's lock must not be reachable by anyone
on the internet who types an ID number. Every failure answers with the same neutral message, whether the ID
number is unknown, the name or the secret is wrong, or the ID is locked.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liangxian.collection.models import Payment, PaymentKind, ProofOfPayment
from liangxian.collection.services import proof_issue
from liangxian.core import idnumbers
from liangxian.core.audit import audit_record
from liangxian.core.names import canonical_name
from liangxian.registry.models import Person

from . import rules
from .models import LookupAttempt, LookupOutcome


class PortalError(Exception):
    """A payer's request that cannot be answered; ``code`` for logs and the API, ``message`` for the payer."""

    def __init__(self, code: str, message: str, *, delay: float = 0.0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.delay = delay


def neutral_message() -> str:
    return _(
        "These details do not match our records, or there were too many tries. Check them and try again in 15 minutes."
    )


def id_hash(id_number: str) -> str:
    """Hash a typed ID number with the site's secret, so attempts can be counted without keeping the number."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"portal-id:{id_number}".encode(), hashlib.sha256).hexdigest()


def _same_name(typed: str, on_record: str) -> bool:
    def canonical(text: str) -> str:
        try:
            return canonical_name(text)
        except ValueError:
            return text.strip()

    return bool(typed.strip()) and canonical(typed) == canonical(on_record)


@dataclass(frozen=True)
class _Match:
    person: Person | None
    via: str


def _match(number: str, name: str, secret: str) -> _Match:
    secret = secret.strip().upper()
    for person in Person.objects.filter(id_number=number).order_by("pk")[:5]:
        if not _same_name(name, person.name):
            continue
        if rules.phone_matches(person.phone, secret):
            return _Match(person, "phone")
        if len(secret) >= 8 and (
            ProofOfPayment.objects.filter(number=secret, payment__person=person).exists()
            or ProofOfPayment.objects.filter(number=secret, payment__id_number=number).exists()
        ):
            return _Match(person, "proof")
    return _Match(None, "")


def payer_verify(*, id_number: str, name: str, secret: str, ip: str | None) -> Person:
    """Let a payer prove who he is by ID number, name and the phone's last 4 digits or a proof number (SPEC 10).

    Five failures for one ID number within 15 minutes lock it for 15 minutes (twenty for one client address);
    each failure is held a little longer than the last (``delay`` on the error, applied by the caller).
    """
    number, _repairs = idnumbers.normalise(id_number.strip()[:40])
    hashed = id_hash(number)
    now = timezone.now()
    since = now - timedelta(minutes=rules.WINDOW_MINUTES)
    base_delay = float(getattr(settings, "LIANGXIAN_PORTAL_FAILURE_DELAY", 0.5))
    error: PortalError | None = None
    with transaction.atomic():
        failures = LookupAttempt.objects.filter(id_hash=hashed, at__gte=since, outcome=LookupOutcome.FAILED).count()
        ip_failures = (
            LookupAttempt.objects.filter(ip=ip, at__gte=since, outcome=LookupOutcome.FAILED).count() if ip else 0
        )
        if rules.locked(failures) or ip_failures >= rules.IP_FAILURE_LIMIT:
            LookupAttempt.objects.create(id_hash=hashed, ip=ip, at=now, outcome=LookupOutcome.LOCKED)
            error = PortalError("locked", neutral_message(), delay=rules.failure_delay(failures, base_delay))
            found = _Match(None, "")
        else:
            found = _match(number, name, secret)
            outcome = LookupOutcome.OK if found.person is not None else LookupOutcome.FAILED
            LookupAttempt.objects.create(id_hash=hashed, ip=ip, at=now, outcome=outcome, via=found.via)
            if found.person is None:
                error = PortalError("no_match", neutral_message(), delay=rules.failure_delay(failures + 1, base_delay))
    if error is not None:
        raise error
    assert found.person is not None
    return found.person


def payer_proof(*, person: Person, payment_id: int) -> ProofOfPayment:
    """Give the payer the proof of one of his own counted payments, issuing it the first time (Art 29)."""
    payment = (
        Payment.objects.filter(pk=payment_id, person=person, kind=PaymentKind.PAYMENT, entry__isnull=False)
        .select_related("person")
        .first()
    )
    if payment is None:
        raise PortalError("not_found", _("There is no such payment of yours with a proof of payment."))
    existing = ProofOfPayment.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        proof = proof_issue(payment, by=None)
        audit_record(
            actor=None,
            action="portal.proof_issue",
            obj=proof,
            payload={"number": proof.number, "payment": payment.pk, "by": "payer"},
        )
    return proof
