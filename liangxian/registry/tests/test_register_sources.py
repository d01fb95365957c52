from datetime import timedelta

import pytest
from django.utils import timezone

from liangxian.core.access import access_log
from liangxian.core.scope import Actor, ScopeError
from liangxian.registry import selectors, services
from liangxian.registry.models import Person
from liangxian.registry.tests import exchange_fixtures as x
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    f.county()
    police, civil, tax = f.department("police"), f.department("civil"), f.department("tax")
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    a, b = f.id_number(), f.id_number()
    rows = [
        {"id_number": a, "name": "艾力", "township": "英吉沙镇", "village": "一村"},
        {"id_number": b, "name": "古丽", "township": "英吉沙镇", "village": "二村"},
    ]
    sub = x.submission(ds, police.unit, police, rows)
    services.register_apply(actor=None, submission=sub)
    allowance = x.dataset("civil_affairs.minimum_allowance", provider="civil", category="minimum_allowance")
    civil_sub = x.submission(
        allowance, civil.unit, civil, [{"id_number": a}, {"id_number": f.id_number(), "name": "无"}]
    )
    services.register_apply(actor=None, submission=civil_sub)
    return {
        "police": police,
        "civil": civil,
        "tax": tax,
        "sub": sub,
        "civil_sub": civil_sub,
        "a": Person.objects.get(id_number=a),
        "b": Person.objects.get(id_number=b),
    }


def test_the_person_facts_name_their_source_submission_and_the_lists_he_is_on(world):
    card, facts, categories = selectors.person_facts(actor=Actor.of(world["tax"]), person_id=world["a"].pk)

    assert card.name == "艾力"
    assert [(fact.field, fact.submission_id) for fact in facts] == [("record", world["sub"].pk)]
    assert [(c.category, c.submission_id, c.until) for c in categories] == [
        ("minimum_allowance", world["civil_sub"].pk, None)
    ]


def test_the_facts_of_a_person_outside_the_scope_are_refused(world):
    collector = f.collector(f.VILLAGE_B1)

    with pytest.raises(Person.DoesNotExist):
        selectors.person_facts(actor=Actor.of(collector), person_id=world["a"].pk)


def test_the_provider_sees_who_viewed_its_persons_and_for_which_duty(world):
    tax = Actor.of(world["tax"])
    access_log(actor=tax, action="view", object_type=selectors.OBJECT_TYPE, object_ids=[world["a"].pk])
    access_log(actor=tax, action="list", object_type=selectors.OBJECT_TYPE, object_ids=[world["a"].pk, world["b"].pk])
    access_log(actor=tax, action="view", object_type=selectors.OBJECT_TYPE, object_ids=[999_999])

    rows, totals = selectors.provider_usage(
        actor=Actor.of(world["police"]), unit_id=world["police"].unit_id, since=timezone.now() - timedelta(days=1)
    )

    assert sorted((r.action, r.matched, r.duty) for r in rows) == [("list", 2, "collection"), ("view", 1, "collection")]
    assert (totals["entries"], totals["persons"], totals["provided"]) == (2, 2, 2)
    assert all(r.at is not None and r.at <= timezone.now() for r in rows)


def test_the_civil_affairs_bureau_sees_only_uses_of_the_persons_it_provided(world):
    tax = Actor.of(world["tax"])
    access_log(actor=tax, action="view", object_type=selectors.OBJECT_TYPE, object_ids=[world["b"].pk])
    access_log(actor=tax, action="view", object_type=selectors.OBJECT_TYPE, object_ids=[world["a"].pk])

    rows, _totals = selectors.provider_usage(
        actor=Actor.of(world["civil"]), unit_id=world["civil"].unit_id, since=timezone.now() - timedelta(days=1)
    )

    assert [r.matched for r in rows] == [1]


def test_an_export_naming_fewer_ids_than_it_covered_is_shown_as_partial(world):
    tax = Actor.of(world["tax"])
    access_log(actor=tax, action="export", object_type=selectors.OBJECT_TYPE, object_ids=[1], count=5000)

    rows, _totals = selectors.provider_usage(
        actor=Actor.of(world["civil"]), unit_id=world["civil"].unit_id, since=timezone.now() - timedelta(days=1)
    )

    assert [(r.action, r.partial, r.logged) for r in rows] == [("export", True, 5000)]


def test_another_unit_cannot_see_the_providers_usage(world):
    with pytest.raises(ScopeError):
        selectors.provider_usage(
            actor=Actor.of(world["tax"]), unit_id=world["police"].unit_id, since=timezone.now() - timedelta(days=1)
        )


def test_the_provider_lists_its_rows_not_in_the_household_register(world):
    count, rows = selectors.submission_not_in_register(
        actor=Actor.of(world["civil"]), submission_id=world["civil_sub"].pk
    )

    assert count == 1 and rows[0][0] == 3 and rows[0][2] == "无"


def test_the_rows_not_in_the_register_are_the_providers_own(world):
    with pytest.raises(ScopeError):
        selectors.submission_not_in_register(actor=Actor.of(world["tax"]), submission_id=world["civil_sub"].pk)
