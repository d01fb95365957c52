"""The payer's pages (SPEC 10) and the public proof check: thin views over the portal's services and selectors."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liangxian.collection.models import ProofOfPayment
from liangxian.core.access import access_log
from liangxian.core.models import AccessAction
from liangxian.core.scope import Actor
from liangxian.registry.models import Person

from . import rules, selectors, services
from .forms import PayerLookupForm
from .pdf import proof_pdf as render_proof_pdf

SESSION_KEY = "portal_payer"
# The payer acts for himself: the access log names the duty, with no user.
PAYER = Actor(user_id=None, unit_code="", unit_kind="", department="", role="payer", division_code="")


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def payer_of(request: HttpRequest) -> Person | None:
    """Return the payer who proved himself in this session in the last 10 minutes, else None (and forget him)."""
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    if float(held.get("until", 0)) < time.time():
        request.session.pop(SESSION_KEY, None)
        return None
    person_id = held.get("person")
    return Person.objects.filter(pk=int(person_id)).first() if isinstance(person_id, int) else None


def _log_payer(request: HttpRequest, person: Person, action: str, query: str) -> None:
    access_log(
        actor=PAYER,
        action=action,
        object_type="registry.person",
        object_ids=[person.pk],
        duty="self_service",
        query=query,
        request=request,
        channel="portal",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Let a payer prove who he is; wrong answers get one neutral message and are held a little longer each time."""
    error = ""
    if request.method == "POST":
        form = PayerLookupForm(request.POST)
        if form.is_valid():
            try:
                person = services.payer_verify(
                    id_number=form.cleaned_data["id_number"],
                    name=form.cleaned_data["name"],
                    secret=form.cleaned_data["secret"],
                    ip=_client_ip(request),
                )
            except services.PortalError as exc:
                time.sleep(exc.delay)
                error = exc.message
                form = PayerLookupForm(initial={"name": form.cleaned_data["name"]})
            else:
                request.session.cycle_key()
                request.session[SESSION_KEY] = {"person": person.pk, "until": time.time() + rules.SESSION_SECONDS}
                if not request.user.is_authenticated:
                    request.session.set_expiry(rules.SESSION_SECONDS)
                return redirect("portal:me")
    else:
        form = PayerLookupForm()
    return render(
        request,
        "portal/lookup.html",
        {"form": form, "error": error, "signed_in": payer_of(request) is not None},
        status=200,
    )


@never_cache
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """Show the payer what he owes in the current campaign and what he has paid, masked."""
    person = payer_of(request)
    if person is None:
        return redirect("portal:lookup")
    overview = selectors.payer_overview(person)
    _log_payer(request, person, AccessAction.VIEW, "overview")
    held = request.session.get(SESSION_KEY) or {}
    minutes_left = max(0, int((float(held.get("until", 0)) - time.time()) // 60))
    return render(
        request, "portal/me.html", {"o": overview, "minutes_left": minutes_left, "today": timezone.localdate()}
    )


@require_POST
def proof_get(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Issue (the first time) the proof of one of the payer's own payments and send him to its PDF."""
    person = payer_of(request)
    if person is None:
        return redirect("portal:lookup")
    try:
        proof = services.payer_proof(person=person, payment_id=payment_id)
    except services.PortalError as exc:
        raise Http404(exc.message) from exc
    return redirect("portal:proof_pdf", number=proof.number)


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Forget the payer in this session."""
    request.session.pop(SESSION_KEY, None)
    return redirect("portal:lookup")


def check_url(request: HttpRequest, proof: ProofOfPayment) -> str:
    """Give the public address of a proof's check page (the public site's, when it is set)."""
    path = reverse("portal:check", kwargs={"token": proof.token})
    base = str(getattr(settings, "LIANGXIAN_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _pdf_response(request: HttpRequest, proof: ProofOfPayment) -> HttpResponse:
    content = render_proof_pdf(proof, check_url=check_url(request, proof))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="proof-{proof.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def proof_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """Send a proof of payment as PDF: to its payer from his session, or to staff in scope (logged)."""
    proof = selectors.proof_by_number(number)
    person = payer_of(request)
    if proof is not None and person is not None and proof.payment.person_id == person.pk:
        _log_payer(request, person, AccessAction.EXPORT, f"proof {proof.number}")
        return _pdf_response(request, proof)
    if request.user.is_authenticated:
        actor = Actor.of(request.user)
        if proof is not None and selectors.staff_may_print(actor, proof.payment):
            access_log(
                actor=actor,
                action=AccessAction.EXPORT,
                object_type="collection.proofofpayment",
                object_ids=[proof.payment.person_id or proof.payment.id_number],
                duty=actor.resident_duty or "collection",
                query=f"proof {proof.number}",
                request=request,
            )
            return _pdf_response(request, proof)
        access_log(
            actor=actor,
            action=AccessAction.DENIED,
            object_type="collection.proofofpayment",
            count=0,
            query=f"proof {number[:24]}",
            request=request,
        )
    raise Http404("no such proof")


@require_GET
def check(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a proof of payment is genuine, showing only its number, masked name and the payment's facts."""
    found = selectors.proof_check(token)
    context: dict[str, Any] = {"found": found}
    return render(request, "portal/check.html", context, status=200 if found else 404)
