from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The columns of a loaded resident that only a recorded correction may change; a seal covers them.
PERSON_SEALED_COLUMNS = ("id_type", "id_number", "name", "birth_date", "sex", "village_code")


class RegistryConfig(AppConfig):
    name = "liangxian.registry"
    label = "registry"
    verbose_name = _("Residents' register")

    def ready(self) -> None:
        from liangxian.core.sealing import seal_register

        from .models import Person

        seal_register(Person, batch_field="batch", columns=PERSON_SEALED_COLUMNS)

        from liangxian.exchange.signals import list_in_force, list_loading

        from .services import register_apply_on_list_in_force, register_read_ahead_on_list_loading

        list_in_force.connect(register_apply_on_list_in_force, dispatch_uid="registry.register_apply")
        list_loading.connect(register_read_ahead_on_list_loading, dispatch_uid="registry.register_read_ahead")
