from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "liangxian.obligations"
    label = "obligations"
    verbose_name = _("Obligations and deadlines")

    def ready(self) -> None:
        # The exchange sits below this app: its signals are connected here (see .wiring).
        from . import wiring

        wiring.connect()
