from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureausConfig(AppConfig):
    name = "liangxian.bureaus"
    label = "bureaus"
    verbose_name = _("Bureau reports and daily detail")
