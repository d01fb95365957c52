from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "liangxian.refunds"
    label = "refunds"
    verbose_name = _("Refunds and payment problems")

    def ready(self) -> None:
        # The payment queue (collection, a lower layer) sends an item to refund through this hook: it cannot
        # import refunds itself.
        try:
            from liangxian.collection.queue import refund_hook_register
        except ImportError:  # the queue is not there yet
            return
        from .services import refund_request

        refund_hook_register(refund_request)
