import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from liangxian.core.audit import chain_verify
from liangxian.core.models import AuditEvent
from liangxian.core.sealing import SealError, batch_digest, seal_batch, seal_spec, seals_verify
from liangxian.registry.models import Person
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed():
    f.county()
    loaded = [f.person(f.VILLAGE_A1, name=f"居民{i}", batch="B-2026-01") for i in range(3)]
    f.person(f.VILLAGE_A1, name="另一批", batch="B-2026-02")
    event = seal_batch(actor=None, model=Person, batch_id="B-2026-01", action="person.bulk_load", payload={"file": "x"})
    return loaded, event


def raw(sql: str, params: tuple) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_output() -> tuple[bool, str]:
    out = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    try:
        call_command("audit", "verify", stdout=Sink())
    except CommandError:
        return False, "".join(out)
    return True, "".join(out)


def test_the_person_register_is_sealed_on_its_immutable_columns():
    spec = seal_spec("registry.person")

    assert (spec.batch_field, spec.columns) == (
        "batch",
        ("id_type", "id_number", "name", "birth_date", "sex", "village_code"),
    )


def test_a_seal_carries_the_batch_its_row_count_and_digest(sealed):
    _loaded, event = sealed

    seal = AuditEvent.objects.get(pk=event.pk).payload["seal"]

    assert (seal["model"], seal["batch"], seal["rows"]) == ("registry.person", "B-2026-01", 3)
    assert len(seal["digest"]) == 64
    assert AuditEvent.objects.get(pk=event.pk).payload["file"] == "x"


def test_an_untouched_batch_verifies(sealed):
    ok, out = verify_output()

    assert ok, out


def test_verify_reports_a_sealed_row_changed_directly_in_the_database(sealed):
    loaded, event = sealed
    raw("UPDATE registry_person SET name = %s WHERE id = %s", ("改过的名字", loaded[1].pk))

    ok, out = verify_output()

    problems = seals_verify(chain_verify().seals.values())
    assert not ok
    assert [(p.seq, p.kind) for p in problems] == [(event.pk, "seal_changed")]
    assert problems[0].message in out


def test_verify_reports_a_deleted_row_of_a_sealed_batch(sealed):
    loaded, event = sealed
    raw("DELETE FROM registry_person WHERE id = %s", (loaded[0].pk,))

    problems = seals_verify(chain_verify().seals.values())

    assert [(p.seq, p.kind) for p in problems] == [(event.pk, "seal_rows")]
    assert not verify_output()[0]


def test_verify_reports_a_row_moved_into_a_sealed_batch(sealed):
    raw("UPDATE registry_person SET batch = %s WHERE batch = %s", ("B-2026-01", "B-2026-02"))

    assert [p.kind for p in seals_verify(chain_verify().seals.values())] == ["seal_rows"]


def test_columns_outside_the_seal_may_change(sealed):
    loaded, _event = sealed
    Person.objects.filter(pk=loaded[0].pk).update(phone="13800000000", status="deceased")

    assert verify_output()[0]


def test_a_later_seal_of_the_same_batch_supersedes_the_earlier(sealed):
    loaded, _event = sealed
    Person.objects.filter(pk=loaded[0].pk).update(name="更正后的名字")

    seal_batch(actor=None, model=Person, batch_id="B-2026-01", action="person.correct")

    assert verify_output()[0]


def test_the_digest_streams_the_same_value_each_time(sealed):
    args = {"label": "registry.person", "batch_field": "batch", "batch_id": "B-2026-01", "columns": ["name"]}

    assert batch_digest(**args) == batch_digest(**args)
    assert batch_digest(**args)[0] == 3


def test_an_unregistered_model_cannot_be_sealed():
    with pytest.raises(SealError) as err:
        seal_batch(actor=None, model="core.division", batch_id="x", action="x")

    assert err.value.code == "not_registered"
