"""What the national pages, API and CLI read: the runs and the duplicate findings a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from liangxian.core.idnumbers import mask
from liangxian.org.models import User

from .export import may_run
from .models import DuplicateFinding, JobRun


def may_view(user: User) -> bool:
    """Tax, a county department's principal leader and the administrator see the runs (the system runs them)."""
    return bool(user.is_authenticated) and may_run(user)


def shown_id(id_number: str) -> str:
    """The ID number as the pages, API and CLI show it: masked (the finding is acted on in the county's own system)."""
    return mask(id_number)


def runs() -> QuerySet[JobRun]:
    return JobRun.objects.select_related("by")


def findings_of(run: JobRun) -> QuerySet[DuplicateFinding]:
    return DuplicateFinding.objects.filter(run=run).order_by("id_number", "insurance", "coverage_year")
