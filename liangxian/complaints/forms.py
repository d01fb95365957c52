"""The public report form (captcha) and the staff intake form."""

from __future__ import annotations

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from liangxian.portal.forms import PortalCaptchaInput

from .models import ReceivedVia


class _AllegationFields(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(label=_("What happened"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
    township_code = forms.RegexField(
        label=_("Township code (optional)"), regex=r"^\d{9}$", required=False, max_length=9
    )
    village_code = forms.RegexField(
        label=_("Village code (optional)"), regex=r"^\d{12}$", required=False, max_length=12
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=80, required=False)
    phone = forms.CharField(label=_("Your phone (optional)"), max_length=30, required=False)
    id_number = forms.CharField(label=_("Your ID card number (optional)"), max_length=40, required=False)
    address = forms.CharField(label=_("Your address (optional)"), max_length=200, required=False)

    def identity(self) -> dict[str, str]:
        return {k: self.cleaned_data.get(k, "") or "" for k in ("name", "phone", "id_number", "address")}


class PublicReportForm(_AllegationFields):
    captcha = CaptchaField(
        label=_("Type the characters in the picture"),
        widget=PortalCaptchaInput(),
        error_messages={"invalid": _("The characters do not match the picture. Try the new picture.")},
    )


class IntakeForm(_AllegationFields):
    via = forms.ChoiceField(label=_("Received via"), choices=ReceivedVia.choices)


class FollowForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=20)
    code = forms.CharField(
        label=_("Follow-up code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
