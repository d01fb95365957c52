from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "liangxian.portal"
    label = "portal"
    verbose_name = _("The payer's own pages and the proof check")
