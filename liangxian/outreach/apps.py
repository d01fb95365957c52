from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "liangxian.outreach"
    label = "outreach"
    verbose_name = _("Public notice, publicity, training and inspections")
