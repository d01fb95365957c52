"""The payer's lookup form: ID number, name, a secret only he holds, and a captcha."""

from __future__ import annotations

from typing import Any

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PortalCaptchaInput(CaptchaTextInput):
    """The captcha widget with its image served under the portal's own URL names (``portal:captcha-image``).

    The library reverses un-namespaced names; the portal's URLs live in the ``portal`` namespace so that the
    public site and the intranet mount the same patterns.
    """

    def fetch_captcha_store(self, name: str, value: Any, attrs: Any = None, generator: Any = None) -> None:
        key = CaptchaStore.pick() if captcha_settings.CAPTCHA_GET_FROM_POOL else CaptchaStore.generate_key(generator)
        self._value = [key, ""]
        self._key = key
        self.id_ = self.build_attrs(attrs).get("id", None)

    def image_url(self) -> str:
        return reverse("portal:captcha-image", kwargs={"key": self._key})

    def audio_url(self) -> None:
        return None

    def refresh_url(self) -> str:
        return reverse("portal:captcha-refresh")


class PayerLookupForm(forms.Form):
    id_number = forms.CharField(
        label=_("Your ID card number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("Your name as on the ID card"), max_length=80)
    secret = forms.CharField(
        label=_("Last 4 digits of your phone on record, or a proof of payment number"),
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    captcha = CaptchaField(
        label=_("Type the characters in the picture"),
        widget=PortalCaptchaInput(),
        error_messages={"invalid": _("The characters do not match the picture. Try the new picture.")},
    )
