"""A large list on a SQLite file: reading ahead and comparing only what changed give the same result as not.

On SQLite the submit of a large list reads the register and the earlier version's digests on a second connection
while its own loads the rows (batch.bulk.read_ahead), and leaves the commit's checkpoint to a background thread
(batch.bulk.checkpoint_after); the next version of the list compares with the register only the persons that may
have changed since the last apply (registry.services._incremental, on the triggers of migration registry 0004).
None of this happens in the in-memory test database, so this test runs them where they do: a database file set up
as `make setup` does, two versions of a police register of ~40,000 rows submitted in a child process, the register
changed for two persons in between, once as it runs by default and once with both off (LIANGXIAN_READ_AHEAD=0,
LIANGXIAN_REGISTER_INCREMENTAL=0) on a copy of the same file.
The register, its facts, the versions' rows and differences and the apply's results must be the same, and the
database file alone (without its WAL) must hold both versions once the background checkpoint has run.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from liangxian.core.models import AuditEvent
from liangxian.exchange.models import Submission, SubmissionRow, VersionChange
from liangxian.registry.models import Household, Person, PersonFact

from .test_exchange_interrupt import FILE_ROWS, KIND, ROOT, Target, _environment, _prepare, police_register

pytestmark = pytest.mark.slow

SUBMIT = """
import json, shutil, sqlite3, sys
from contextlib import closing
from pathlib import Path
import django
django.setup()
from django.db import connection
from liangxian.batch.ahead import reads_ahead_taken
from liangxian.batch.bulk import checkpoints_wait
from liangxian.core.models import AuditEvent
from liangxian.exchange.services import submission_submit
from liangxian.org.models import User

from liangxian.registry.models import Person

actor = User.objects.select_related("unit").get(username="police")
versions = []
v1, v2, changed, removed = sys.argv[2:6]
for name in (v1, v2):
    path = Path(name)
    done = submission_submit(actor=actor, dataset=sys.argv[1], source=path, filename=path.name)
    versions.append(done.version)
    if done.version == 1:
        # Between the versions, the register changes for two persons whose rows v2 leaves as they were.
        Person.objects.filter(id_number=changed).update(phone="00000000000", name="改名")
        Person.objects.filter(id_number=removed).delete()
(autocheckpoint,) = connection.connection.execute("PRAGMA wal_autocheckpoint").fetchone()
checkpoints_wait()
# The database file without its WAL holds what the checkpoints copied into it.
alone = Path(connection.settings_dict["NAME"]).with_suffix(".alone")
shutil.copyfile(connection.settings_dict["NAME"], alone)
with closing(sqlite3.connect(alone)) as db:
    (in_file,) = db.execute("SELECT count(*) FROM exchange_submission").fetchone()
applied = [e.payload for e in AuditEvent.objects.filter(action="register.apply").order_by("seq")]
print(json.dumps({"versions": versions, "taken": reads_ahead_taken(), "autocheckpoint": autocheckpoint,
                  "in_file": in_file, "compared": [p["compared"] for p in applied]}))
"""


def _versions(folder: Path) -> tuple[Path, Path, str, str]:
    """Version 1 of the police register with its usual dirt; version 2 with ~1 % removed, changed and added; the
    ID numbers of two persons both carry unchanged."""
    from liangxian.demo.county import county_generate, villages_from_csv
    from liangxian.demo.files import _write_xlsx, department_files_build

    spec, v1 = police_register(seed=17)
    step = pl.int_range(pl.len()) % 100
    clean = pl.col("_kind").is_null()
    v2 = v1.filter(~(clean & (step == 7))).with_columns(
        pl.when(clean & (step == 11)).then(pl.lit("13900000000")).otherwise(pl.col("联系电话")).alias("联系电话"),
        pl.when(clean & (step == 13)).then(pl.col("姓名") + "江").otherwise(pl.col("姓名")).alias("姓名"),
    )
    newcomers = county_generate(persons=400, seed=18, villages=villages_from_csv())
    added = next(department_files_build(newcomers)).frame.join(v1.select("_id"), on="_id", how="anti")
    v2 = pl.concat([v2, added], how="diagonal_relaxed")
    paths = (folder / "公安局_户籍人口_v1.xlsx", folder / "公安局_户籍人口_v2.xlsx")
    for path, frame in zip(paths, (v1, v2), strict=True):
        _write_xlsx(path, spec, frame, datetime(2025, 6, 30, 9, 0))
    # Two persons whose rows both versions carry unchanged.
    same = v1.filter(clean & (step == 20))[spec.id_column].head(2).to_list()
    return paths[0], paths[1], same[0], same[1]


def _dump(path: Path) -> dict[str, Any]:
    """What the submits leave in the database, without the clock's times."""
    queries = {
        "persons": _select(
            Person,
            "id_type, id_number, name, sex, birth_date, phone, household_id, relation, village_code, status, "
            "status_date, source, batch",
            "id",
        ),
        "households": _select(Household, "id, number, village_id, source", "id"),
        "facts": _select(PersonFact, "person_id, field, value, submission_id, current", "id"),
        "submissions": _select(
            Submission,
            "version, status, rows_total, rows_accepted, rows_repaired, rows_rejected, digest_scheme",
            "id",
        ),
        "rows": _select(SubmissionRow, "row_number, id_number, name, outcome, data, digest", "id"),
        "changes": _select(VersionChange, "kind, id_number, fields", "kind, id_number"),
        "audit": _select(
            AuditEvent,
            "action, payload",
            "seq",
            "action IN ('register.apply', 'register.reseal', 'exchange.submission.submit')",
        ),
    }
    with closing(sqlite3.connect(path, timeout=30)) as db:
        dump = {name: db.execute(sql).fetchall() for name, sql in queries.items()}
    dump["audit"] = [(action, _without_times(json.loads(payload))) for action, payload in dump["audit"]]
    return dump


def _select(model: Any, columns: str, order: str, where: str = "1 = 1") -> str:
    # Fixed column lists and the models' own table names only.
    return f"SELECT {columns} FROM {model._meta.db_table} WHERE {where} ORDER BY {order}"  # noqa: S608


def _without_times(payload: Any) -> Any:
    if isinstance(payload, dict):
        dropped = ("seconds", "sealed_at", "at", "compared")
        return {k: _without_times(v) for k, v in payload.items() if k not in dropped}
    return payload


def _submit(target: Target, *args: Path | str, fast: bool) -> dict[str, Any]:
    switch = "1" if fast else "0"
    env = target.env | {"LIANGXIAN_READ_AHEAD": switch, "LIANGXIAN_REGISTER_INCREMENTAL": switch}
    argv = [sys.executable, "-c", SUBMIT, KIND, *map(str, args)]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_reading_ahead_and_comparing_what_changed_give_the_same_register_and_versions(tmp_path: Path) -> None:
    # Given a database file set up as `make setup` does, copied for the run without reads ahead
    path = tmp_path / "fast.sqlite3"
    env = _environment(tmp_path / "var") | {"LIANGXIAN_SQLITE": str(path)}
    fast = Target("sqlite", tmp_path / "var", env, sqlite_path=path)
    _prepare(fast)
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plain_path = tmp_path / "plain.sqlite3"
    shutil.copyfile(path, plain_path)
    plain = Target("sqlite", tmp_path / "var", env | {"LIANGXIAN_SQLITE": str(plain_path)}, sqlite_path=plain_path)
    v1, v2, changed, removed = _versions(tmp_path)

    # When both versions are submitted, the register changing for two persons in between, once with the reads
    # ahead and v2 compared only where it may have changed, and once on the copy without either
    with_fast = _submit(fast, v1, v2, changed, removed, fast=True)
    without = _submit(plain, v1, v2, changed, removed, fast=False)

    # Then the reads ahead were taken: the register for v1, the earlier version's digests for v2
    assert with_fast["versions"] == without["versions"] == [1, 2]
    assert with_fast["taken"] == 2
    assert without["taken"] == 0
    # And v2 compared with the register only the persons that may have changed: far fewer than the whole list
    assert without["compared"][1] > FILE_ROWS * 0.9
    assert 0 < with_fast["compared"][1] < FILE_ROWS * 0.05
    # And the database holds the same register, facts, rows, differences and apply results either way: the person
    # changed in between has the list's values again, the one removed is back
    dumped, expected = _dump(path), _dump(plain_path)
    assert {kind for kind, _id, _fields in dumped["changes"]} == {"added", "removed", "changed"}
    assert any(field == "phone" for _person, field, *_ in dumped["facts"])
    assert any(action == "register.reseal" for action, _payload in dumped["audit"])
    people = {person[1]: person for person in dumped["persons"]}
    assert people[changed][2] != "改名"
    assert removed in people
    for name in expected:
        assert dumped[name] == expected[name], name
    # And the commits left their checkpoints to the background thread, which copied both versions into the file
    assert with_fast["autocheckpoint"] == without["autocheckpoint"] > 0
    assert with_fast["in_file"] == 2
