from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitlementsConfig(AppConfig):
    name = "liangxian.entitlements"
    label = "entitlements"
    verbose_name = _("Entitlements and the white list")
