from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "liangxian.finance"
    label = "finance"
    verbose_name = _("Finance: contributions, payments on behalf and subsidies")
