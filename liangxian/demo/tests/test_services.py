"""Loading the synthetic county: bulk, in one transaction, replacing the previous one, sealed in the chain."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liangxian.core.idnumbers import check_resident_id
from liangxian.core.models import AuditEvent
from liangxian.demo import services
from liangxian.demo.county import county_generate
from liangxian.demo.services import DEMO_SOURCE, DemoDataError, demo_county_load
from liangxian.registry.models import Household, Person

from .conftest import SMALL


def _state():
    return (
        Person.objects.count(),
        Household.objects.count(),
        sorted(Person.objects.values_list("batch", flat=True).distinct()),
        AuditEvent.objects.count(),
    )


@pytest.mark.django_db
def test_loading_fills_the_register_across_many_villages(divisions, small_county):
    result = demo_county_load(actor=None, county=small_county)

    assert result.persons == Person.objects.count() == SMALL
    assert result.households == Household.objects.count() == small_county.households.height
    assert Person.objects.values("village_code").distinct().count() > 150
    assert Person.objects.filter(household__isnull=True).count() == 0
    assert set(Person.objects.values_list("batch", "source").distinct()) == {("demo-7-2000", DEMO_SOURCE)}
    head = Person.objects.filter(relation="户主").select_related("household").first()
    assert head.household.village_id == head.village_code
    assert head.village_code.startswith(head.township_code)


@pytest.mark.django_db
def test_loaded_id_numbers_are_valid_and_unique(divisions, small_county):
    demo_county_load(actor=None, county=small_county)

    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(set(numbers)) == len(numbers) == SMALL
    assert all(check_resident_id(n, today=date(2025, 9, 1)).outcome == "accepted" for n in numbers)


@pytest.mark.django_db
def test_loaded_rows_keep_status_dates_and_empty_phones(divisions, small_county):
    demo_county_load(actor=None, county=small_county)

    assert Person.objects.exclude(status="active").filter(status_date__isnull=True).count() == 0
    assert Person.objects.filter(status="active", status_date__isnull=False).count() == 0
    assert Person.objects.filter(phone="").count() == small_county.persons["phone"].is_null().sum()
    assert Person.objects.filter(phone__isnull=True).count() == 0


@pytest.mark.django_db
def test_loading_the_same_seed_again_replaces_the_batch(divisions, small_county):
    demo_county_load(actor=None, county=small_county)
    first = set(Person.objects.values_list("id_number", "name", "village_code"))

    result = demo_county_load(actor=None, county=small_county)

    assert result.replaced_persons == SMALL
    assert set(Person.objects.values_list("id_number", "name", "village_code")) == first
    assert Household.objects.count() == small_county.households.height
    call_command("audit", "verify")  # raises when a seal or a link is broken


@pytest.mark.django_db
def test_another_county_replaces_the_previous_one_and_the_chain_stays_whole(divisions, small_county, villages):
    demo_county_load(actor=None, county=small_county)
    other = county_generate(persons=500, seed=99, villages=villages)

    demo_county_load(actor=None, county=other)

    assert list(Person.objects.values_list("batch", flat=True).distinct()) == ["demo-99-500"]
    assert Household.objects.count() == other.households.height
    assert AuditEvent.objects.filter(action="demo_data.remove", object_id="demo-7-2000").exists()
    call_command("audit", "verify")


@pytest.mark.django_db
def test_the_load_is_sealed_in_the_audit_chain(divisions, small_county):
    result = demo_county_load(actor=None, county=small_county)

    event = AuditEvent.objects.get(seq=result.audit_seq)
    assert event.action == "demo_data.load"
    assert event.payload["seed"] == 7
    assert event.payload["seal"]["rows"] == SMALL
    assert event.payload["seal"]["batch"] == "demo-7-2000"


@pytest.mark.django_db
def test_tampering_with_a_loaded_resident_breaks_the_seal(divisions, small_county):
    demo_county_load(actor=None, county=small_county)
    Person.objects.filter(pk=Person.objects.order_by("pk").first().pk).update(name="篡改")

    with pytest.raises(CommandError):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_an_interrupted_load_changes_nothing(divisions, small_county, villages, monkeypatch):
    demo_county_load(actor=None, county=county_generate(persons=300, seed=5, villages=villages))
    before = _state()
    real = services.bulk_insert

    def half_then_fail(target, frame, **kwargs):
        if target is Person:
            real(target, frame.head(frame.height // 2), **kwargs)
            raise RuntimeError("power cut")
        return real(target, frame, **kwargs)

    monkeypatch.setattr(services, "bulk_insert", half_then_fail)

    with pytest.raises(RuntimeError, match="power cut"):
        demo_county_load(actor=None, county=small_county)

    assert _state() == before
    assert list(Person.objects.values_list("batch", flat=True).distinct()) == ["demo-5-300"]


@pytest.mark.django_db
def test_loading_without_divisions_is_refused(small_county):
    with pytest.raises(DemoDataError) as caught:
        demo_county_load(actor=None, county=small_county)

    assert caught.value.code == "divisions_missing"
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_a_county_in_use_by_other_records_is_not_replaced(divisions, small_county):
    demo_county_load(actor=None, county=small_county)
    household = Household.objects.first()
    Person.objects.create(
        id_number="653123199001010011", name="他人", household=household, township_code="x", village_code="y"
    )
    before = Person.objects.count()

    with pytest.raises(DemoDataError) as caught:
        demo_county_load(actor=None, county=small_county)

    assert caught.value.code == "demo_rows_in_use"
    assert Person.objects.count() == before
