"""The form of the obligations' pages: marking an obligation met by hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class FulfilForm(forms.Form):
    """How the unit met an obligation its rule leaves to be marked by hand."""

    note = forms.CharField(
        label=_("How it was met"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the notice posted in every village on 20 August, or the training held with 35 assistants."),
    )
