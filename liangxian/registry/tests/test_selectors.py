import pytest

from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.org.models import Role, UnitKind
from liangxian.registry import selectors
from liangxian.registry.models import Person
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents():
    f.county()
    return {
        "a1": f.person(f.VILLAGE_A1, name="阿卜杜拉·买买提"),
        "a2": f.person(f.VILLAGE_A2, name="王芳"),
        "b1": f.person(f.VILLAGE_B1, name="古丽·艾力"),
    }


def ids(rows):
    return {r.id for r in rows}


def test_a_village_collector_lists_only_his_village(residents):
    actor = Actor.of(f.collector(f.VILLAGE_A1))

    _page, rows = selectors.person_page(actor=actor)

    assert ids(rows) == {residents["a1"].pk}


def test_a_township_lists_its_own_villages_only(residents):
    actor = Actor.of(f.user(f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP), Role.SPECIALIST))

    _page, rows = selectors.person_page(actor=actor)

    assert ids(rows) == {residents["a1"].pk, residents["a2"].pk}


def test_the_tax_bureau_lists_the_whole_county_with_full_id_numbers(residents):
    actor = Actor.of(f.department("tax"))

    _page, rows = selectors.person_page(actor=actor)

    assert ids(rows) == {p.pk for p in residents.values()}
    assert {r.id_number for r in rows} == {p.id_number for p in residents.values()}


def test_a_department_without_a_resident_duty_sees_nothing_and_the_attempt_is_denied(residents):
    actor = Actor.of(f.department("publicity"))

    _page, rows = selectors.person_page(actor=actor)

    assert rows == []
    assert AccessLog.objects.get().action == "denied"


def test_a_village_collector_sees_id_numbers_masked(residents):
    actor = Actor.of(f.collector(f.VILLAGE_A1))

    _page, rows = selectors.person_page(actor=actor)

    full = residents["a1"].id_number
    assert rows[0].id_number == full[:6] + "********" + full[-4:]


def test_listing_writes_who_what_and_for_which_duty(residents):
    collector = f.collector(f.VILLAGE_A1)

    selectors.person_page(actor=Actor.of(collector), q="买买提")

    log = AccessLog.objects.get()
    assert (log.user_id, log.action, log.duty, log.object_ids, log.count) == (
        collector.pk,
        "list",
        "village_collection",
        [str(residents["a1"].pk)],
        1,
    )
    assert log.query == "q=买买提"


def test_search_by_a_full_width_id_number_finds_the_resident(residents):
    actor = Actor.of(f.department("tax"))
    typed = residents["b1"].id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    found = selectors.person_list(actor=actor, q=typed)

    assert list(found) == [residents["b1"]]


def test_search_by_an_id_prefix_finds_nothing_so_masked_digits_cannot_be_guessed(residents):
    actor = Actor.of(f.collector(f.VILLAGE_A1))

    found = selectors.person_list(actor=actor, q=residents["a1"].id_number[:14])

    assert not found.exists()


def test_search_by_a_uyghur_name_spelt_with_spaces_finds_the_canonical_name(residents):
    actor = Actor.of(f.department("tax"))

    found = selectors.person_list(actor=actor, q="古丽 艾力")

    assert list(found) == [residents["b1"]]


def test_a_village_filter_outside_the_scope_matches_nothing_rather_than_widening_it(residents):
    actor = Actor.of(f.user(f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP)))

    assert not selectors.person_list(actor=actor, village=f.VILLAGE_B1).exists()
    assert list(selectors.person_list(actor=actor, village=f.VILLAGE_A2)) == [residents["a2"]]


def test_getting_a_resident_of_another_village_raises_and_is_logged_as_denied(residents):
    actor = Actor.of(f.collector(f.VILLAGE_A1))

    with pytest.raises(Person.DoesNotExist):
        selectors.person_get(actor=actor, person_id=residents["b1"].pk)

    log = AccessLog.objects.get()
    assert (log.action, log.object_ids) == ("denied", [str(residents["b1"].pk)])


def test_getting_an_impossible_id_is_a_logged_refusal_not_a_crash(residents):
    actor = Actor.of(f.department("tax"))

    with pytest.raises(Person.DoesNotExist):
        selectors.person_get(actor=actor, person_id=2**70)

    assert AccessLog.objects.get().action == "denied"


def test_getting_a_resident_in_scope_logs_the_view(residents):
    actor = Actor.of(f.collector(f.VILLAGE_A1))

    card = selectors.person_get(actor=actor, person_id=residents["a1"].pk)

    assert card.village_name == "一村"
    assert AccessLog.objects.get().action == "view"


def test_a_township_user_may_filter_by_the_villages_of_his_township(residents):
    actor = Actor.of(f.user(f.unit(f.TOWN_A, kind=UnitKind.TOWNSHIP)))

    assert [v.code for v in selectors.villages_in_scope(actor=actor)] == [f.VILLAGE_A1, f.VILLAGE_A2]
