import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from liangxian.core.audit import (
    GENESIS,
    AuditImmutableError,
    audit_maintenance,
    audit_record,
    audit_time_text,
    chain_head,
    chain_verify,
)
from liangxian.core.models import AuditEvent
from liangxian.org.models import User

pytestmark = pytest.mark.django_db


def as_dba(sql: str, params: tuple = ()) -> None:
    """Run SQL the way a database administrator with full rights could: past the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the deferred foreign-key checks first: ALTER TABLE refuses while they are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
        cursor.execute(sql, params)


def verify(*args: str) -> tuple[bool, str]:
    out = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    try:
        call_command("audit", "verify", *args, stdout=Sink())
    except CommandError:
        return False, "".join(out)
    return True, "".join(out)


@pytest.fixture
def chain():
    actor = User.objects.create_user(username="clerk", full_name="阿依古丽")
    return [audit_record(actor=actor, action=f"thing.step{i}", payload={"n": i, "金额": "100.00"}) for i in range(5)]


def test_events_are_chained_from_genesis(chain):
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


def test_an_intact_chain_verifies(chain):
    ok, out = verify()

    assert ok, out
    assert "5" in out


def test_the_hash_reads_the_time_as_stored_on_either_database(chain):
    stored = AuditEvent.objects.get(pk=chain[2].pk)

    assert audit_time_text(stored.at) == audit_time_text(chain[2].at)
    assert chain_verify().ok


def test_audit_times_are_utc_to_the_millisecond_whatever_the_zone():
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 1, 8, 0, 0, 123987, tzinfo=shanghai)

    assert audit_time_text(moment) == "2026-03-01T00:00:00.123+00:00"
    assert audit_time_text(moment.astimezone(UTC)) == audit_time_text(moment)


def test_an_event_cannot_be_changed_or_deleted_through_the_orm(chain):
    event = AuditEvent.objects.get(pk=chain[1].pk)
    event.action = "forged"

    with pytest.raises(AuditImmutableError), transaction.atomic():
        event.save()
    with pytest.raises(AuditImmutableError), transaction.atomic():
        event.delete()
    with pytest.raises(AuditImmutableError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[1].pk).delete()

    assert AuditEvent.objects.get(pk=chain[1].pk).action == "thing.step1"


@pytest.mark.parametrize(
    "sql",
    ["UPDATE core_auditevent SET action = 'forged' WHERE seq = %s", "DELETE FROM core_auditevent WHERE seq = %s"],
)
def test_an_event_cannot_be_changed_or_deleted_through_sql(chain, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [chain[1].pk])

    assert AuditEvent.objects.get(pk=chain[1].pk).action == "thing.step1"


def test_a_queryset_update_is_refused_by_the_database(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[1].pk).update(action="forged")


def test_verify_reports_an_event_changed_directly_in_the_database(chain):
    as_dba("UPDATE core_auditevent SET payload = %s WHERE seq = %s", ('{"n": 1, "金额": "1.00"}', chain[1].pk))

    ok, out = verify()

    problems = chain_verify().problems
    assert not ok
    assert [(p.seq, p.kind) for p in problems] == [(chain[1].pk, "changed")]
    assert problems[0].message in out


def test_verify_reports_a_changed_event_whose_hash_was_recomputed(chain):
    # A forger who recomputes the hash still breaks the link to the next event.
    as_dba("UPDATE core_auditevent SET hash = %s WHERE seq = %s", ("f" * 64, chain[2].pk))

    problems = chain_verify().problems

    assert [(p.seq, p.kind) for p in problems] == [(chain[2].pk, "changed"), (chain[3].pk, "inserted")]


def test_verify_reports_a_deleted_event(chain):
    as_dba("DELETE FROM core_auditevent WHERE seq = %s", (chain[2].pk,))

    ok, out = verify()

    problems = chain_verify().problems
    assert not ok
    assert [(p.seq, p.kind) for p in problems] == [(chain[3].pk, "deleted")]
    assert problems[0].message in out


def test_verify_reports_an_inserted_event(chain):
    forged_prev = chain[1].hash
    as_dba("DELETE FROM core_auditevent WHERE seq = %s", (chain[2].pk,))
    as_dba(
        "INSERT INTO core_auditevent (seq, at, actor_label, action, object_type, object_id, payload, prev_hash, hash) "
        "VALUES (%s, %s, 'system', 'forged', '', '', '{}', %s, %s)",
        (chain[2].pk, chain[2].at, forged_prev, "e" * 64),
    )

    kinds = {(p.seq, p.kind) for p in chain_verify().problems}

    assert (chain[2].pk, "changed") in kinds
    assert (chain[3].pk, "inserted") in kinds


def test_verify_reports_the_newest_events_deleted_against_a_recorded_head(chain):
    head = chain_head()
    as_dba("DELETE FROM core_auditevent WHERE seq >= %s", (chain[3].pk,))

    assert verify()[0]  # the shortened chain is consistent in itself …
    ok, out = verify("--expect-head", head.hash)

    assert not ok  # … but the recorded head is gone
    assert head.hash in out


def test_a_recorded_head_still_verifies_after_later_events(chain):
    head = chain_head()
    audit_record(actor=None, action="later")

    assert verify("--expect-head", head.hash)[0]


def test_verify_json_lists_each_problem_by_seq(chain):
    as_dba("UPDATE core_auditevent SET action = 'forged' WHERE seq = %s", (chain[0].pk,))
    out = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    with pytest.raises(CommandError):
        call_command("audit", "verify", "--json", stdout=Sink())

    report = json.loads("".join(out))
    assert report["ok"] is False
    assert report["problems"] == [{"seq": chain[0].pk, "kind": "changed", "message": report["problems"][0]["message"]}]
    assert report["head"]["hash"] == chain[-1].hash


def test_head_prints_the_newest_hash(chain, capsys):
    call_command("audit", "head", "--json")

    head = json.loads(capsys.readouterr().out)
    assert (head["seq"], head["hash"], head["count"]) == (chain[-1].pk, chain[-1].hash, 5)


def test_an_empty_chain_verifies():
    assert chain_verify().ok
    assert chain_head().hash == GENESIS


def test_maintenance_lets_sqlite_flush_the_audit_table(chain):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL flushes with TRUNCATE, which the row triggers do not block")
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")

    assert not AuditEvent.objects.exists()
