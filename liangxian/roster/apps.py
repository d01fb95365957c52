from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "liangxian.roster"
    label = "roster"
    verbose_name = _("Roster, abnormal data and due-lists")

    def ready(self) -> None:
        from liangxian.exchange.signals import list_in_force

        from .survey import survey_on_list_in_force

        # Connected after the register's receiver (registry comes first in INSTALLED_APPS): the survey's persons
        # are matched against the register as the survey itself has just updated it.
        list_in_force.connect(survey_on_list_in_force, dispatch_uid="roster.survey_apply")
