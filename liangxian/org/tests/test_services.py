"""The organisation's writes: bootstrap, groups, data contacts, township posts, collectors, handlers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from liangxian.core.models import AuditEvent, Division
from liangxian.org import selectors, services
from liangxian.org.errors import (
    AlreadyAuthorised,
    CollectorNotAuthorised,
    DivisionsMissing,
    FilingRequired,
    OrgInvalid,
    OrgPermissionDenied,
)
from liangxian.org.models import (
    CollectorAuthorisation,
    DataContact,
    Role,
    TownshipAppointment,
    TownshipPost,
    Unit,
    UnitKind,
    User,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 1)


# --- bootstrap ---------------------------------------------------------------------------------------------


def test_bootstrap_creates_every_department_township_village_and_bank(divisions: Division) -> None:
    result = services.org_bootstrap(county_code="653123")

    assert result.created == {"department": 14, "township": 2, "village": 3, "bank": 2, "group": len(Role)}
    assert Unit.objects.get(code="653123-tax").name == "英吉沙县税务局"
    assert Unit.objects.get(code="653123-pbc").name == "中国人民银行英吉沙县支行"
    village = Unit.objects.get(code="653123100001")
    assert (village.kind, village.name, village.parent and village.parent.code) == (
        UnitKind.VILLAGE,
        "其兰巴格社区",
        "653123100",
    )
    assert Unit.objects.filter(kind=UnitKind.BANK).count() == 2


def test_bootstrap_twice_creates_nothing_the_second_time(divisions: Division) -> None:
    services.org_bootstrap(county_code="653123")
    units_before = Unit.objects.count()
    events_before = AuditEvent.objects.count()

    again = services.org_bootstrap(county_code="653123")

    assert again.total == 0
    assert Unit.objects.count() == units_before
    assert AuditEvent.objects.count() == events_before


def test_bootstrap_without_divisions_says_to_load_them(db: None) -> None:
    with pytest.raises(DivisionsMissing) as exc:
        services.org_bootstrap(county_code="653123")
    assert exc.value.code == "divisions_missing"


def test_bootstrap_by_a_department_user_is_refused(people: dict[str, User]) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.org_bootstrap(actor=people["tax"], county_code="653123")


# --- users and groups --------------------------------------------------------------------------------------


def test_new_user_is_in_his_role_group_only(people: dict[str, User]) -> None:
    assert list(people["collector"].groups.values_list("name", flat=True)) == ["collector"]


def test_role_change_moves_the_user_to_the_new_group(people: dict[str, User]) -> None:
    user = people["specialist2"]

    services.user_update(actor=people["admin"], user=user, role=Role.SPECIALIST)

    assert list(user.groups.values_list("name", flat=True)) == ["specialist"]
    assert Group.objects.filter(name="staff").exists()


def test_user_create_by_non_sysadmin_is_refused(people: dict[str, User], units: dict[str, Unit]) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.user_create(
            actor=people["tax"],
            username="x",
            password="Pw-123456789",
            unit=units["653123-tax"],
            role=Role.STAFF,
            full_name="x",
            phone="",
        )


# --- data contact (Art 22) ---------------------------------------------------------------------------------


def test_designating_a_new_data_contact_ends_the_current_one(people: dict[str, User], units: dict[str, Unit]) -> None:
    medical = units["653123-medical"]
    first = services.data_contact_designate(actor=people["medical"], unit=medical, user=people["medical"], since=TODAY)

    services.data_contact_designate(
        actor=people["medical"], unit=medical, user=people["medical2"], since=TODAY + dt.timedelta(days=30)
    )

    first.refresh_from_db()
    assert first.until == TODAY + dt.timedelta(days=30)
    assert DataContact.objects.filter(unit=medical, until__isnull=True).count() == 1
    current = selectors.data_contact_current(unit=medical)
    assert current is not None and current.user == people["medical2"]
    assert selectors.data_contact_history(unit=medical).count() == 2


def test_another_department_cannot_designate_the_data_contact(people: dict[str, User], units: dict[str, Unit]) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.data_contact_designate(actor=people["tax"], unit=units["653123-medical"], user=people["medical"])


def test_data_contact_must_belong_to_the_department(people: dict[str, User], units: dict[str, Unit]) -> None:
    with pytest.raises(OrgInvalid):
        services.data_contact_designate(actor=people["admin"], unit=units["653123-medical"], user=people["tax"])


# --- township posts and the specialist's filing (Art 31) ---------------------------------------------------


@pytest.fixture
def specialist_appointed(people: dict[str, User], units: dict[str, Unit]) -> TownshipAppointment:
    return services.township_appoint(
        actor=people["leader"],
        township=units["653123100"],
        post=TownshipPost.SPECIALIST,
        user=people["specialist"],
        since=TODAY,
    )


def test_leader_in_charge_is_appointed_and_replaced_freely(people: dict[str, User], units: dict[str, Unit]) -> None:
    township = units["653123100"]
    services.township_appoint(
        actor=people["leader"],
        township=township,
        post=TownshipPost.LEADER_IN_CHARGE,
        user=people["leader"],
        since=TODAY,
    )
    services.township_appoint(
        actor=people["leader"],
        township=township,
        post=TownshipPost.LEADER_IN_CHARGE,
        user=people["specialist2"],
        since=TODAY + dt.timedelta(days=1),
    )
    current = selectors.appointment_current(township=township, post=TownshipPost.LEADER_IN_CHARGE)
    assert current is not None and current.user == people["specialist2"]


def test_replacing_the_specialist_without_a_filing_is_refused_in_chinese(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    with translation.override("zh-hans"), pytest.raises(FilingRequired) as exc:
        services.specialist_replace(actor=people["leader"], township=units["653123100"], incoming=people["specialist2"])

    assert exc.value.code == "filing_required"
    assert "报备" in exc.value.message
    current = selectors.specialist_current(township=units["653123100"])
    assert current == people["specialist"]


def test_appointing_a_second_specialist_directly_needs_a_filing(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    with pytest.raises(FilingRequired):
        services.township_appoint(
            actor=people["leader"],
            township=units["653123100"],
            post=TownshipPost.SPECIALIST,
            user=people["specialist2"],
        )


def test_filing_goes_to_tax_medical_and_social(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    filing = services.specialist_filing_file(
        actor=people["specialist"],
        township=units["653123100"],
        outgoing=people["specialist"],
        incoming=people["specialist2"],
        reason="调任",
    )
    assert sorted(filing.recipients.values_list("code", flat=True)) == [
        "653123-medical",
        "653123-social",
        "653123-tax",
    ]
    assert list(selectors.filings_received(unit=units["653123-tax"])) == [filing]


def test_only_the_townships_own_office_files(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    for who in ("other_township", "tax", "leader"):
        with pytest.raises(OrgPermissionDenied):
            services.specialist_filing_file(
                actor=people[who],
                township=units["653123100"],
                outgoing=people["specialist"],
                incoming=people["specialist2"],
                reason="调任",
            )


def test_replacement_after_filing_uses_the_filing_once(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    township = units["653123100"]
    filing = services.specialist_filing_file(
        actor=people["specialist"],
        township=township,
        outgoing=people["specialist"],
        incoming=people["specialist2"],
        reason="调任",
    )

    new = services.specialist_replace(
        actor=people["leader"], township=township, incoming=people["specialist2"], since=TODAY + dt.timedelta(days=5)
    )

    filing.refresh_from_db()
    specialist_appointed.refresh_from_db()
    assert new.filing == filing and filing.used_at is not None
    assert specialist_appointed.until == TODAY + dt.timedelta(days=5)
    assert selectors.specialist_current(township=township) == people["specialist2"]
    # The used filing cannot serve again: replacing back needs a new one.
    with pytest.raises(FilingRequired):
        services.specialist_replace(actor=people["leader"], township=township, incoming=people["specialist"])


def test_filing_for_one_incoming_does_not_cover_another(
    specialist_appointed: TownshipAppointment, people: dict[str, User], units: dict[str, Unit]
) -> None:
    township = units["653123100"]
    services.specialist_filing_file(
        actor=people["specialist"],
        township=township,
        outgoing=people["specialist"],
        incoming=people["specialist2"],
        reason="调任",
    )
    with pytest.raises(FilingRequired):
        services.specialist_replace(actor=people["leader"], township=township, incoming=people["leader"])


# --- collectors (Art 30) -----------------------------------------------------------------------------------


@pytest.fixture
def authorisation(people: dict[str, User], units: dict[str, Unit]) -> CollectorAuthorisation:
    return services.collector_authorise(
        actor=people["tax"],
        collector=people["collector"],
        village=units["653123100001"],
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=90),
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (TODAY - dt.timedelta(days=1), False),
        (TODAY, True),
        (TODAY + dt.timedelta(days=90), True),
        (TODAY + dt.timedelta(days=91), False),
    ],
)
def test_authorisation_holds_only_within_its_dates(
    authorisation: CollectorAuthorisation, units: dict[str, Unit], on: dt.date, expected: bool
) -> None:
    collector = authorisation.collector
    assert selectors.collector_is_authorised(collector=collector, village=units["653123100001"], on=on) is expected


def test_authorisation_is_for_its_village_only(authorisation: CollectorAuthorisation, units: dict[str, Unit]) -> None:
    assert not selectors.collector_is_authorised(
        collector=authorisation.collector, village=units["653123100002"], on=TODAY
    )


def test_withdrawal_ends_the_authorisation_from_its_day_on(people: dict[str, User], units: dict[str, Unit]) -> None:
    today = timezone.localdate()
    village = units["653123100001"]
    a = services.collector_authorise(
        actor=people["tax"], collector=people["collector"], village=village, valid_from=today - dt.timedelta(days=10)
    )

    services.collector_withdraw(actor=people["tax"], authorisation=a, reason="离职")

    assert not selectors.collector_is_authorised(collector=people["collector"], village=village, on=today)
    # Cash recorded before the withdrawal still checks out against the day it was taken.
    assert selectors.collector_is_authorised(
        collector=people["collector"], village=village, on=today - dt.timedelta(days=1)
    )


def test_collector_check_raises_for_an_unauthorised_collector(people: dict[str, User], units: dict[str, Unit]) -> None:
    with pytest.raises(CollectorNotAuthorised) as exc:
        services.collector_check(collector=people["collector"], village=units["653123100001"], on=TODAY)
    assert exc.value.code == "collector_not_authorised"


def test_collector_check_passes_for_an_authorised_collector(
    authorisation: CollectorAuthorisation, units: dict[str, Unit]
) -> None:
    services.collector_check(collector=authorisation.collector, village=units["653123100001"], on=TODAY)


@pytest.mark.parametrize("who", ["medical", "specialist", "collector"])
def test_only_tax_authorises_collectors(people: dict[str, User], units: dict[str, Unit], who: str) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.collector_authorise(
            actor=people[who], collector=people["collector"], village=units["653123100001"], valid_from=TODAY
        )
    assert not CollectorAuthorisation.objects.exists()


def test_only_tax_withdraws(authorisation: CollectorAuthorisation, people: dict[str, User]) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.collector_withdraw(actor=people["medical"], authorisation=authorisation, reason="x")


def test_second_open_authorisation_is_refused(authorisation: CollectorAuthorisation, people: dict[str, User]) -> None:
    with pytest.raises(AlreadyAuthorised):
        services.collector_authorise(
            actor=people["tax"], collector=authorisation.collector, village=authorisation.village, valid_from=TODAY
        )


def test_collector_of_another_village_cannot_be_authorised_here(
    people: dict[str, User], units: dict[str, Unit]
) -> None:
    with pytest.raises(OrgInvalid):
        services.collector_authorise(
            actor=people["tax"], collector=people["collector_b"], village=units["653123100001"], valid_from=TODAY
        )


def test_authorisation_is_audited(authorisation: CollectorAuthorisation) -> None:
    event = AuditEvent.objects.get(action="org.collector_authorise")
    assert event.object_id == str(authorisation.pk)
    assert event.payload["village"] == "653123100001"


# --- handlers (Art 31) -------------------------------------------------------------------------------------


def test_township_staff_add_and_deactivate_handlers_of_their_villages(
    people: dict[str, User], units: dict[str, Unit]
) -> None:
    village = units["653123100001"]
    h = services.village_handler_add(
        actor=people["specialist"],
        village=village,
        name="阿卜杜拉·买买提",
        post="协理员",
        phone="13999800301",
        duties="代收现金",
    )
    assert list(selectors.handlers_for(village=village)) == [h]

    services.village_handler_deactivate(actor=people["specialist"], handler=h)

    assert not selectors.handlers_for(village=village).exists()
    assert selectors.handlers_for(village=village, include_inactive=True).count() == 1


def test_another_township_cannot_edit_the_villages_handlers(people: dict[str, User], units: dict[str, Unit]) -> None:
    with pytest.raises(OrgPermissionDenied):
        services.village_handler_add(
            actor=people["other_township"], village=units["653123100001"], name="x", post="x", phone="1", duties="x"
        )


def test_handler_update_changes_only_given_fields(people: dict[str, User], units: dict[str, Unit]) -> None:
    h = services.village_handler_add(
        actor=people["specialist"], village=units["653123100001"], name="甲", post="协理员", phone="1", duties="d"
    )
    services.village_handler_update(actor=people["specialist"], handler=h, phone="13999800999")
    h.refresh_from_db()
    assert (h.name, h.phone) == ("甲", "13999800999")
    assert AuditEvent.objects.filter(action="org.village_handler_update").count() == 1
