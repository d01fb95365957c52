"""The exchange's forms: uploading a list and recording an approval stage (Art 10-18)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import ExchangeMethod

# What a clerk may record on the upload page; "api" and "cli" are set by those front doors themselves (Art 18).
UPLOAD_METHODS = [
    (m.value, m.label)
    for m in (ExchangeMethod.INTRANET, ExchangeMethod.MEDIA, ExchangeMethod.EMAIL, ExchangeMethod.PAPER)
]
LIST_FILE_TYPES = ".xlsx,.xls,.csv"
SCAN_FILE_TYPES = ".pdf,.png,.jpg,.jpeg"


class UploadForm(forms.Form):
    """One file of a list, how it reached the unit, and for which period."""

    file = forms.FileField(
        label=_("List file (xlsx, xls or csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": LIST_FILE_TYPES}),
    )
    method = forms.ChoiceField(
        label=_("How the list reached us"), choices=UPLOAD_METHODS, initial=ExchangeMethod.INTRANET
    )
    period = forms.CharField(label=_("Period (e.g. 2026 or 2026Q3)"), max_length=20, required=False)
    note = forms.CharField(
        label=pgettext_lazy("exchange", "Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Chosen by the page's script so it can ask how far the processing has got; never personal data.
    progress_token = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[A-Za-z0-9-]{16,64}$")],
    )


class ApprovalForm(forms.Form):
    """One approval stage: the scanned page with the leader's signature and stamp where the stage needs it."""

    stage = forms.CharField(widget=forms.HiddenInput, max_length=40)
    scan = forms.FileField(
        label=_("Scan of the signed and stamped page (PDF, PNG or JPEG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_FILE_TYPES}),
    )
    note = forms.CharField(label=pgettext_lazy("exchange", "Note"), max_length=500, required=False)
