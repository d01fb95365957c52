from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "liangxian.refunds"
    label = "refunds"
    verbose_name = _("Refunds and payment problems")
