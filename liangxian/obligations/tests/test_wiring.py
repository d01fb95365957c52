"""The exchange's events turned into obligations: a list in force fulfils its obligation, identity changes
during the period raise (and, by the same version, fulfil) the 7-day report and raise the insurers' 15 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from liangxian.campaigns.models import Campaign
from liangxian.exchange.models import Submission, VersionChange
from liangxian.exchange.signals import identity_changes_reported, list_in_force
from liangxian.obligations import services, wiring
from liangxian.obligations.models import Obligation
from liangxian.org.models import Unit
from liangxian.registry.tests.exchange_fixtures import dataset, submission

from .conftest import make_user

D = dt.date


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _submission(code: str, provider: str, unit: Unit, *, on: dt.date, period: str = "", **kw: Any) -> Submission:
    ds = dataset(code, provider=provider, **kw)
    sub = submission(ds, unit, make_user(f"{provider}-{code}-{on}", unit), [])
    Submission.objects.filter(pk=sub.pk).update(submitted_at=_at(on), in_force_at=_at(on), period=period)
    sub.refresh_from_db()
    return sub


def test_a_list_put_in_force_fulfils_the_providers_obligation_after_commit(
    campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    # Given the campaign's obligations and the orphans list put in force by civil affairs on 5 August (late)
    services.obligations_generate(actor=None, campaign=campaign)
    civil = Unit.objects.get(code="653123-civil")
    sub = _submission("civil_affairs.orphans", "civil", civil, on=D(2026, 8, 5), columns=[])
    # When the exchange sends list_in_force inside its transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        list_in_force.send(sender=Submission, actor=sub.submitted_by, submission=sub, rows=None)
        assert Obligation.objects.get(rule_id="list.civil_affairs.orphans").fulfilled_at is None  # not before commit
    # Then, once committed, the orphans obligation is fulfilled by that submission, late (due 1 August)
    assert callbacks
    o = Obligation.objects.get(rule_id="list.civil_affairs.orphans", unit=civil)
    assert (o.fulfilled_ref, o.fulfilled_at, o.late) == (f"exchange.submission:{sub.pk}", _at(D(2026, 8, 5)), True)
    # And the other lists of civil affairs stay open
    assert Obligation.objects.get(rule_id="list.civil_affairs.minimum_allowance").fulfilled_at is None


def test_a_quarterly_list_fulfils_the_quarter_it_names_or_the_last_ended(campaign: Campaign) -> None:
    services.obligations_generate(actor=None, campaign=campaign)
    police = Unit.objects.get(code="653123-police")
    named = _submission(
        "public_security.household_register", "police", police, on=D(2027, 1, 4), period="2026Q4", columns=[]
    )
    wiring.fulfil_list(named)
    by_date = _submission("public_security.deregistrations", "police", police, on=D(2026, 10, 4), columns=[])
    wiring.fulfil_list(by_date)
    household = Obligation.objects.filter(rule_id="list.public_security.household_register", fulfilled_at__isnull=False)
    assert [(o.period, o.late) for o in household] == [("2026-Q4", False)]
    deregistrations = Obligation.objects.filter(
        rule_id="list.public_security.deregistrations", fulfilled_at__isnull=False
    )
    assert [(o.period, o.late) for o in deregistrations] == [("2026-Q3", False)]


def test_identity_changes_during_the_period_raise_the_report_per_change_date_fulfilled_by_the_version(
    campaign: Campaign,
) -> None:
    # Given a new version of the disabled persons' list in force on 20 September, during the period, with two
    # persons whose status changed on 8 September (late: 7 wd end 17 Sep) and one on 15 September (due 23 Sep)
    disabled = Unit.objects.get(code="653123-disabled")
    columns = [
        {"key": "id_number", "label": "身份证号", "type": "id_number"},
        {"key": "status_date", "label": "变动日期"},
    ]
    ds = dataset("disabled_persons_federation.certified", provider="disabled", columns=columns)
    sub = submission(
        ds,
        disabled,
        make_user("disabled-clerk", disabled),
        [
            {"id_number": "A", "status_date": "2026-09-08"},
            {"id_number": "B", "status_date": "2026-09-08"},
            {"id_number": "C", "status_date": "2026-09-15"},
            {"id_number": "D"},
        ],
    )
    Submission.objects.filter(pk=sub.pk).update(submitted_at=_at(D(2026, 9, 20)), in_force_at=_at(D(2026, 9, 20)))
    sub.refresh_from_db()
    VersionChange.objects.bulk_create(
        VersionChange(submission=sub, id_number=i, kind="changed", fields={"grade": ["二级", "一级"]}) for i in "ABCD"
    )
    # When the exchange reports the changes
    identity_changes_reported.send(
        sender=Submission, submission=sub, changes=VersionChange.objects.filter(submission=sub)
    )
    # Then one report per change date, each fulfilled by the version, lateness recorded
    reports = Obligation.objects.filter(rule_id="identity_change.report", unit=disabled).order_by("period")
    assert [(o.period, o.due_date, o.late, o.fulfilled_ref) for o in reports] == [
        ("2026-09-08", D(2026, 9, 17), True, f"exchange.submission:{sub.pk}"),
        # 7 wd from Tue 15 Sep: 16, 17, 18, Sunday 20 (an adjusted working day), 21, 22, 23
        ("2026-09-15", D(2026, 9, 23), False, f"exchange.submission:{sub.pk}"),
        # D has no change date: the version's own day; Mid-autumn (Fri 25 Sep) is off
        ("2026-09-20", D(2026, 9, 30), False, f"exchange.submission:{sub.pk}"),
    ]
    # And medical insurance and social security each owe the update to tax within 15 working days, open
    to_tax = Obligation.objects.filter(rule_id="identity_update.to_tax")
    assert sorted((o.unit.code, o.due_date, o.fulfilled_at) for o in to_tax) == [
        ("653123-medical", D(2026, 10, 16), None),
        ("653123-social", D(2026, 10, 16), None),
    ]
    # Reported twice (a retried signal), nothing more is raised
    wiring.report_identity_changes(sub, VersionChange.objects.filter(submission=sub))
    assert Obligation.objects.filter(rule__code__startswith="identity_").count() == 5


def test_identity_changes_outside_the_period_raise_nothing(campaign: Campaign) -> None:
    civil = Unit.objects.get(code="653123-civil")
    sub = _submission("civil_affairs.orphans", "civil", civil, on=D(2026, 11, 2), columns=[])
    VersionChange.objects.create(submission=sub, id_number="X", kind="added")
    assert wiring.report_identity_changes(sub, VersionChange.objects.filter(submission=sub)) == 0
    assert not Obligation.objects.filter(rule__code__startswith="identity_").exists()


def test_generating_after_lists_came_in_fulfils_them_from_the_versions_in_force(
    units: dict[str, Unit], calendar_2026: None, rules: None
) -> None:
    # Given the orphans list in force on 3 August 2026 and the village survey of a township on 20 August,
    # before the campaign's obligations exist (the demo's order)
    civil = Unit.objects.get(code="653123-civil")
    orphans = _submission("civil_affairs.orphans", "civil", civil, on=D(2026, 8, 3), columns=[])
    township = Unit.objects.get(code="653123100")
    _submission("township.village_survey", "", township, on=D(2026, 8, 20), columns=[], provider_kind="township")
    now = timezone.now()
    campaign = Campaign.objects.create(
        coverage_year=2027,
        collection_year=2026,
        name="2027",
        period_start=D(2026, 9, 1),
        period_end=D(2026, 12, 31),
        created_at=now,
        updated_at=now,
    )
    # When they are generated
    result = services.obligations_generate(actor=None, campaign=campaign)
    # Then both are fulfilled by those versions, with their lateness, and a second run changes nothing
    assert result.caught_up == 2
    o = Obligation.objects.get(rule_id="list.civil_affairs.orphans")
    assert (o.fulfilled_ref, o.late) == (f"exchange.submission:{orphans.pk}", True)  # due 1 August
    survey = Obligation.objects.get(rule_id="list.township.village_survey", unit=township)
    assert survey.fulfilled_at is not None and survey.late is True  # due 17 August
    assert services.obligations_generate(actor=None, campaign=campaign).caught_up == 0
