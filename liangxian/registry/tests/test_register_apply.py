from datetime import date

import pytest
from django.core.management import CommandError, call_command

from liangxian.core.models import AuditEvent
from liangxian.core.sealing import seal_batch
from liangxian.registry import services
from liangxian.registry.models import Household, Person, PersonCategory, PersonFact
from liangxian.registry.tests import exchange_fixtures as x
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


def audit_clean() -> bool:
    class Sink:
        def write(self, text: str) -> None:
            pass

        def flush(self) -> None:
            pass

    try:
        call_command("audit", "verify", stdout=Sink())
    except CommandError:
        return False
    return True


@pytest.fixture
def county():
    f.county()
    police = f.department("police")
    civil = f.department("civil")
    return {"police": police, "civil": civil}


def police_row(number: str, name: str, **extra) -> dict:
    return {
        "household_number": extra.pop("household_number", "H001"),
        "name": name,
        "id_number": number,
        "sex": extra.pop("sex", "男"),
        "birth_date": extra.pop("birth_date", "1980-01-01"),
        "township": extra.pop("township", "英吉沙镇"),
        "village": extra.pop("village", "一村"),
        "status": extra.pop("status", "正常"),
        **extra,
    }


def police_list(county, rows):
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    user = county["police"]
    return x.submission(ds, user.unit, user, rows)


def test_the_household_register_creates_persons_in_the_village_it_names(county):
    a, b = f.id_number(date(1980, 1, 1)), f.id_number(date(1990, 5, 6))
    sub = police_list(
        county,
        [police_row(a, "阿卜杜拉·买买提"), police_row(b, "古丽", village="二村", sex="女", birth_date="19900506")],
    )

    result = services.register_apply(actor=county["police"], submission=sub)

    assert (result.mode, result.created, result.updated) == ("register", 2, 0)
    p = Person.objects.get(id_number=b)
    assert (p.name, p.sex, p.birth_date, p.village_code, p.township_code) == (
        "古丽",
        "F",
        date(1990, 5, 6),
        f.VILLAGE_A2,
        f.TOWN_A,
    )
    assert p.household.number == "H001" and Household.objects.count() == 1


def test_every_created_person_keeps_the_submission_as_the_source_of_his_record(county):
    a = f.id_number()
    sub = police_list(county, [police_row(a, "艾力")])

    services.register_apply(actor=None, submission=sub)

    fact = PersonFact.objects.get(person__id_number=a)
    assert (fact.field, fact.submission_id, fact.current) == (services.CREATION_FACT, sub.pk, True)


def test_a_later_version_updates_name_and_status_with_a_fact_and_retires_the_old_fact(county):
    a, b = f.id_number(), f.id_number()
    services.register_apply(
        actor=None, submission=police_list(county, [police_row(a, "艾力"), police_row(b, "买买提")])
    )
    first = police_list(county, [police_row(a, "艾力·吐尔逊"), police_row(b, "买买提")])
    services.register_apply(actor=None, submission=first)
    second = police_list(
        county,
        [police_row(a, "艾力·吐尔逊尼亚孜"), police_row(b, "买买提", status="死亡注销", status_date="2026-03-01")],
    )

    result = services.register_apply(actor=None, submission=second)

    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    assert Person.objects.get(id_number=a).name == "艾力·吐尔逊尼亚孜"
    dead = Person.objects.get(id_number=b)
    assert (dead.status, dead.status_date) == ("deceased", date(2026, 3, 1))
    names = PersonFact.objects.filter(person__id_number=a, field="name").order_by("pk")
    assert [(n.value, n.submission_id, n.current) for n in names] == [
        ("艾力·吐尔逊", first.pk, False),
        ("艾力·吐尔逊尼亚孜", second.pk, True),
    ]


def test_an_unchanged_version_writes_no_fact(county):
    a = f.id_number()
    services.register_apply(actor=None, submission=police_list(county, [police_row(a, "艾力")]))

    result = services.register_apply(actor=None, submission=police_list(county, [police_row(a, "艾力")]))

    assert (result.updated, result.unchanged, result.facts) == (0, 1, 0)
    assert PersonFact.objects.count() == 1


def test_changing_a_sealed_batch_reseals_it_so_audit_verify_stays_clean(county):
    loaded = f.person(f.VILLAGE_A1, name="旧名字", batch="DEMO-1")
    seal_batch(actor=None, model=Person, batch_id="DEMO-1", action="demo_data.load")
    sub = police_list(county, [police_row(loaded.id_number, "新名字")])

    result = services.register_apply(actor=None, submission=sub)

    assert result.resealed == ["DEMO-1"]
    assert Person.objects.get(pk=loaded.pk).name == "新名字"
    assert audit_clean()


def test_the_new_batch_is_sealed_and_verifies(county):
    sub = police_list(county, [police_row(f.id_number(), "艾力")])

    result = services.register_apply(actor=None, submission=sub)

    assert AuditEvent.objects.filter(object_type="registry.person", object_id=result.batch).exists()
    assert audit_clean()


def test_a_police_row_whose_village_cannot_be_placed_is_reported_not_created(county):
    sub = police_list(county, [police_row(f.id_number(), "艾力", village="不存在村")])

    result = services.register_apply(actor=None, submission=sub)

    assert (result.created, result.unplaced) == (0, 1)
    assert result.unplaced_sample[0]["name"] == "艾力"
    assert not Person.objects.exists()


def test_a_village_code_written_in_the_list_places_the_person(county):
    sub = police_list(county, [police_row(f.id_number(), "艾力", village=f.VILLAGE_B1, township="")])

    services.register_apply(actor=None, submission=sub)

    assert Person.objects.get().village_code == f.VILLAGE_B1


def test_the_id_number_gives_sex_and_birth_date_when_the_list_omits_them(county):
    number = f.id_number(date(1975, 7, 9))
    sub = police_list(county, [police_row(number, "艾力", sex="", birth_date="")])

    services.register_apply(actor=None, submission=sub)

    p = Person.objects.get()
    assert (p.birth_date, p.sex) == (date(1975, 7, 9), "M" if int(number[16]) % 2 else "F")


def civil_list(county, rows, *, code="civil_affairs.minimum_allowance", category="minimum_allowance"):
    ds = x.dataset(code, provider="civil", category=category)
    user = county["civil"]
    return x.submission(ds, user.unit, user, rows)


def test_a_department_list_puts_registered_persons_on_its_category(county):
    p = f.person(f.VILLAGE_A1, name="艾力")
    sub = civil_list(county, [{"id_number": p.id_number, "name": "艾力"}])

    result = services.register_apply(actor=None, submission=sub)

    cat = PersonCategory.objects.get()
    assert (cat.person_id, cat.category, cat.submission_id, cat.until) == (p.pk, "minimum_allowance", sub.pk, None)
    assert result.categories_opened == 1


def test_a_person_not_in_the_household_register_is_reported_back_and_not_created(county):
    stranger = f.id_number()
    sub = civil_list(county, [{"id_number": stranger, "name": "陌生人"}])

    result = services.register_apply(actor=None, submission=sub)

    assert result.not_in_register == 1
    assert result.not_in_register_sample == [{"row_number": 2, "id_number": stranger, "name": "陌生人"}]
    assert not Person.objects.exists() and not PersonCategory.objects.exists()


def test_a_new_version_closes_the_categories_it_drops_and_keeps_the_rest(county):
    stays, leaves = f.person(f.VILLAGE_A1, name="甲"), f.person(f.VILLAGE_A1, name="乙")
    first = civil_list(county, [{"id_number": stays.id_number}, {"id_number": leaves.id_number}])
    services.register_apply(actor=None, submission=first)

    result = services.register_apply(actor=None, submission=civil_list(county, [{"id_number": stays.id_number}]))

    assert (result.categories_opened, result.categories_closed) == (0, 1)
    assert PersonCategory.objects.get(person=stays).until is None
    assert PersonCategory.objects.get(person=leaves).until is not None


def test_the_category_column_of_a_row_overrides_the_dataset_category_and_keeps_its_detail(county):
    p = f.person(f.VILLAGE_A1)
    ds = x.dataset("disabled.certified", provider="disabled", category="disabled")
    unit_user = f.department("disabled")
    sub = x.submission(ds, unit_user.unit, unit_user, [{"id_number": p.id_number, "disability_grade": "二级"}])

    services.register_apply(actor=None, submission=sub)

    assert PersonCategory.objects.values_list("category", "detail").get() == ("disabled", "二级")


def test_a_name_differing_from_the_household_register_is_counted_but_not_taken(county):
    p = f.person(f.VILLAGE_A1, name="艾力")
    result = services.register_apply(
        actor=None, submission=civil_list(county, [{"id_number": p.id_number, "name": "艾丽"}])
    )

    assert result.name_differs == 1
    assert Person.objects.get().name == "艾力"


def test_a_deregistration_list_changes_status_only_and_creates_nobody(county):
    p = f.person(f.VILLAGE_A1, name="艾力")
    ds = x.dataset("public_security.deregistrations", provider="police", authority=True)
    user = county["police"]
    rows = [
        {"id_number": p.id_number, "name": "别的名字", "reason": "迁出", "change_date": "2026-02-01"},
        {"id_number": f.id_number(), "name": "不在册", "reason": "死亡"},
    ]

    result = services.register_apply(actor=None, submission=x.submission(ds, user.unit, user, rows))

    p.refresh_from_db()
    assert (p.status, p.status_date, p.name) == ("moved_away", date(2026, 2, 1), "艾力")
    assert (result.updated, result.not_in_register, Person.objects.count()) == (1, 1, 1)


def test_a_list_not_in_force_is_refused(county):
    ds = x.dataset("public_security.household_register", provider="police", authority=True)
    sub = x.submission(ds, county["police"].unit, county["police"], [], status="pending_approval")

    with pytest.raises(services.RegisterError) as caught:
        services.register_apply(actor=None, submission=sub)

    assert caught.value.code == "not_in_force"


def test_applying_is_audited_with_its_counts(county):
    sub = police_list(county, [police_row(f.id_number(), "艾力")])

    services.register_apply(actor=county["police"], submission=sub)

    event = AuditEvent.objects.filter(action="register.apply").get()
    assert (event.object_id, event.payload["created"]) == (str(sub.pk), 1)


def test_the_fast_batch_digest_equals_the_core_digest_with_null_and_non_ascii_values(county):
    from liangxian.core.sealing import batch_digest

    f.person(f.VILLAGE_A1, name="阿依古丽·艾则孜", batch="B1")
    f.person(f.VILLAGE_A2, name='O\'Brien "x"', batch="B1", birth_date=None, sex="")

    fast = services.person_batch_digest("B1")

    assert fast == batch_digest(label="registry.person", batch_field="batch", batch_id="B1", columns=f_columns())


def f_columns():
    from liangxian.registry.apps import PERSON_SEALED_COLUMNS

    return PERSON_SEALED_COLUMNS


def test_the_household_register_can_be_handed_over_as_a_frame_of_key_columns(county):
    import polars as pl

    a = f.id_number()
    sub = police_list(county, [])
    rows = pl.DataFrame(
        {
            "row_number": [2],
            "id_number": [a],
            "name": ["艾力"],
            "township": ["芒辛镇"],
            "village": ["三村"],
            "sex": ["男"],
        }
    )

    result = services.register_apply(actor=None, submission=sub, rows=rows)

    assert result.created == 1 and Person.objects.get().village_code == f.VILLAGE_B1


def test_the_fast_batch_digest_equals_the_core_digest_with_backslashes_and_control_characters(county):
    from liangxian.core.sealing import batch_digest

    f.person(f.VILLAGE_A1, name='a\\b"c', batch="B2")
    f.person(f.VILLAGE_A1, name="tab\there\nline\x01end", batch="B2")
    f.person(f.VILLAGE_A2, name="艾力\u2028", batch="B2", birth_date=None)

    fast = services.person_batch_digest("B2")

    assert fast == batch_digest(label="registry.person", batch_field="batch", batch_id="B2", columns=f_columns())
    assert fast[0] == 3


def test_an_empty_batch_digests_as_the_core_does(county):
    from liangxian.core.sealing import batch_digest

    fast = services.person_batch_digest("NONE")

    assert fast == batch_digest(label="registry.person", batch_field="batch", batch_id="NONE", columns=f_columns())
