from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "liangxian.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Connect the append-only guards of the audit chain.
        from . import audit  # noqa: F401
