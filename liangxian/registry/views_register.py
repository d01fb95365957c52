"""Pages of the register's upkeep: corrections, verification requests, and the provider's view of use (Art 12, 21)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from liangxian.core.scope import Actor, ScopeError
from liangxian.org.models import Unit, User

from . import rules, selectors, services
from .models import (
    ChangeRequest,
    ChangeRequestStatus,
    Person,
    PersonStatus,
    Sex,
    VerificationRequest,
    VerificationStatus,
)

LEVEL_LABELS = {
    "county": gettext_lazy("County"),
    "prefecture": gettext_lazy("Prefecture"),
    "region": gettext_lazy("Autonomous region"),
    "national": gettext_lazy("National"),
}


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]


class CorrectionForm(forms.Form):
    """The fields of a record a user may ask to correct; a blank field is left as it is."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=80, required=False)
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=30, required=False)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(
        label=gettext_lazy("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    village_code = forms.CharField(label=gettext_lazy("Village code"), max_length=12, required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=[("", "—"), *PersonStatus.choices], required=False)
    status_date = forms.DateField(
        label=gettext_lazy("Status since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20, required=False)
    relation = forms.CharField(label=gettext_lazy("Relation to head"), max_length=20, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason and evidence described"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(label=gettext_lazy("Evidence (PDF, PNG or JPEG, at most 10 MB)"), required=False)

    def changes(self) -> dict[str, str]:
        """Return the fields filled in, as text."""
        out = {}
        for name in rules.CORRECTABLE_FIELDS:
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                out[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return out


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class VerificationForm(forms.Form):
    target = forms.ModelChoiceField(label=gettext_lazy("Unit asked"), queryset=Unit.objects.none())
    question = forms.CharField(label=gettext_lazy("What should be checked"), widget=forms.Textarea(attrs={"rows": 3}))
    id_numbers = forms.CharField(
        label=gettext_lazy("ID numbers (one a line)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: object, unit_id: int | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        units = Unit.objects.filter(active=True, kind__in=["department", "township"]).order_by("kind", "code")
        self.fields["target"].queryset = units.exclude(pk=unit_id) if unit_id else units  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the county cannot answer"), widget=forms.Textarea(attrs={"rows": 2})
    )
    target = forms.ModelChoiceField(
        label=gettext_lazy("Unit at the next level (blank: your unit carries it on)"),
        queryset=Unit.objects.none(),
        required=False,
    )

    def __init__(self, *args: object, level: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        wanted = {"prefecture": 4, "region": 2}.get(level or "")
        units = Unit.objects.filter(active=True).annotate(division_length=Length("division_id"))
        self.fields["target"].queryset = (  # type: ignore[attr-defined]
            units.filter(division_length=wanted) if wanted else units.none()
        )


# ------------------------------------------------------------------------------------------------- corrections


@login_required
@require_http_methods(["GET", "POST"])
def correction_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Ask for a correction of one resident's record, with the reason and a scanned proof."""
    actor = _actor(request)
    try:
        card = selectors.person_get(actor=actor, person_id=person_id, request=request)
    except Person.DoesNotExist:
        raise Http404(_("No such resident within your scope.")) from None
    form = CorrectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        person = Person.objects.get(pk=person_id)
        try:
            cr = services.change_request_create(
                actor=request.user,  # type: ignore[arg-type]
                person=person,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data.get("evidence"),
            )
        except services.RegisterError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The correction was sent for approval."))
            return redirect("registry:correction_detail", request_id=cr.pk)
    return render(request, "registry/correction_new.html", {"person": card, "form": form})


@login_required
@require_GET
def correction_list(request: HttpRequest) -> HttpResponse:
    """List the corrections of residents within the user's scope, those awaiting approval first."""
    actor = _actor(request)
    status = request.GET.get("status", ChangeRequestStatus.PENDING)
    rows = list(selectors.correction_list(actor=actor, status=status or None)[:200])
    decidable = {cr.pk for cr in rows if services.change_request_can_decide(actor=request.user, request=cr)}  # type: ignore[arg-type]
    return render(
        request,
        "registry/correction_list.html",
        {"rows": rows, "status": status, "statuses": ChangeRequestStatus.choices, "decidable": decidable},
    )


@login_required
@require_http_methods(["GET", "POST"])
def correction_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """Show a correction with its before and after; an authorised other user approves or rejects it here."""
    actor = _actor(request)
    try:
        cr = selectors.correction_get(actor=actor, request_id=request_id)
    except ChangeRequest.DoesNotExist:
        raise Http404(_("No such correction within your scope.")) from None
    can_decide = cr.status == ChangeRequestStatus.PENDING and services.change_request_can_decide(
        actor=request.user,  # type: ignore[arg-type]
        request=cr,
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("decision") == "approve"
        try:
            services.change_request_decide(
                actor=request.user,  # type: ignore[arg-type]
                request=cr,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except services.RegisterError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("The correction was approved and applied.") if approve else _("The correction was rejected.")
            )
        return redirect("registry:correction_detail", request_id=cr.pk)
    changes = [
        (str(selectors.FIELD_LABELS.get(field, field)), before, after) for field, (before, after) in cr.changes.items()
    ]
    return render(
        request,
        "registry/correction_detail.html",
        {"cr": cr, "changes": changes, "form": form, "can_decide": can_decide},
    )


# ---------------------------------------------------------------------------------------- verification requests


def _track_rows(requests: list[VerificationRequest]) -> list[selectors.VerificationTrack]:
    return [selectors.verification_track(r) for r in requests]


@login_required
@require_GET
def verification_list(request: HttpRequest) -> HttpResponse:
    """List the verification requests the user's unit asked and received, with where each stands."""
    actor = _actor(request)
    status = request.GET.get("status", "")
    asked = list(selectors.verification_list(actor=actor, role="asked", status=status or None)[:100])
    received = list(selectors.verification_list(actor=actor, role="received", status=status or None)[:100])
    return render(
        request,
        "registry/verification_list.html",
        {
            "asked": _track_rows(asked),
            "received": _track_rows(received),
            "status": status,
            "statuses": VerificationStatus.choices,
            "levels": LEVEL_LABELS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def verification_new(request: HttpRequest) -> HttpResponse:
    """Ask another department to check particular persons (Art 6, 12)."""
    user: User = request.user  # type: ignore[assignment]
    form = VerificationForm(request.POST or None, unit_id=user.unit_id)
    if request.method == "POST" and form.is_valid():
        numbers = [line.strip() for line in form.cleaned_data["id_numbers"].splitlines() if line.strip()]
        try:
            req = services.verification_request_create(
                actor=user,
                target=form.cleaned_data["target"],
                question=form.cleaned_data["question"],
                id_numbers=numbers,
            )
        except services.RegisterError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The request was sent."))
            return redirect("registry:verification_detail", request_id=req.pk)
    return render(request, "registry/verification_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def verification_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """Show a request and its chain; the asked unit answers or escalates it here."""
    actor = _actor(request)
    user: User = request.user  # type: ignore[assignment]
    req = selectors.verification_scope(actor=actor).filter(pk=request_id).first()
    if req is None:
        raise Http404(_("No such request for your unit."))
    may_act = req.status == VerificationStatus.OPEN and (user.pk == req.owner_id or user.unit_id == req.target_id)
    next_level = rules.next_level(req.level)
    answer_form = AnswerForm(request.POST if request.POST.get("action") == "answer" else None)
    escalate_form = EscalateForm(request.POST if request.POST.get("action") == "escalate" else None, level=next_level)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "answer" and answer_form.is_valid():
                services.verification_request_answer(actor=user, request=req, answer=answer_form.cleaned_data["answer"])
                messages.success(request, _("The answer was recorded."))
                return redirect("registry:verification_detail", request_id=req.pk)
            if request.POST.get("action") == "escalate" and escalate_form.is_valid():
                upper = services.verification_request_escalate(
                    actor=user,
                    request=req,
                    reason=escalate_form.cleaned_data["reason"],
                    target=escalate_form.cleaned_data.get("target"),
                )
                messages.success(request, _("The request was escalated a level up."))
                return redirect("registry:verification_detail", request_id=upper.pk)
        except services.RegisterError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "registry/verification_detail.html",
        {
            "req": req,
            "track": selectors.verification_track(req),
            "may_act": may_act,
            "next_level": LEVEL_LABELS.get(next_level or "", ""),
            "answer_form": answer_form,
            "escalate_form": escalate_form,
            "levels": LEVEL_LABELS,
        },
    )


# ----------------------------------------------------------------------------------- the provider's view, Art 21


@login_required
@require_GET
def usage(request: HttpRequest) -> HttpResponse:
    """Show a providing department who viewed or exported the persons it provided, and for which duty (Art 21)."""
    actor = _actor(request)
    user: User = request.user  # type: ignore[assignment]
    if user.unit_id is None:
        raise Http404(_("Only a unit that provides lists has this page."))
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 366))
    except ValueError:
        days = 30
    include_own = request.GET.get("own") == "1"
    rows, totals = selectors.provider_usage(
        actor=actor, unit_id=user.unit_id, since=timezone.now() - timedelta(days=days), include_own=include_own
    )
    return render(
        request,
        "registry/usage.html",
        {
            "rows": rows,
            "totals": totals,
            "by_duty": selectors.usage_by_duty(rows),
            "days": days,
            "own": include_own,
            "unit": user.unit,
        },
    )


@login_required
@require_GET
def not_in_register(request: HttpRequest, submission_id: int) -> HttpResponse:
    """List a provider's rows naming persons the household register does not hold, for it to check."""
    try:
        count, rows = selectors.submission_not_in_register(actor=_actor(request), submission_id=submission_id)
    except ScopeError:
        raise Http404(_("Only the providing unit sees this list.")) from None
    return render(
        request, "registry/not_in_register.html", {"count": count, "rows": rows, "submission_id": submission_id}
    )
