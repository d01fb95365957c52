"""The org and users commands, and the demo logins."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from liangxian.core.models import AuditEvent, Division
from liangxian.demo.users import DEMO_PASSWORD, demo_users_create
from liangxian.org import selectors
from liangxian.org.models import CollectorAuthorisation, Unit, User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_org_bootstrap_command_is_idempotent(divisions: Division) -> None:
    first = run("org", "bootstrap")
    count = Unit.objects.count()
    second = run("org", "bootstrap")

    assert "department 14" in first
    assert "department 0" in second and "village 0" in second
    assert Unit.objects.count() == count


def test_users_json_lists_username_unit_and_role(people: dict[str, User]) -> None:
    rows = json.loads(run("users", "--json"))
    by_name = {r["username"]: r for r in rows}

    assert by_name["collector"]["unit_code"] == "653123100001"
    assert by_name["collector"]["unit_name"] == "其兰巴格社区"
    assert by_name["collector"]["role"] == "collector"
    assert by_name["collector"]["full_name"] == "阿卜杜拉·买买提"


def test_demo_users_make_one_login_per_role_and_department(divisions: Division) -> None:
    logins = demo_users_create()

    names = {x.username for x in logins}
    assert {
        "tax",
        "medical",
        "audit",
        "discipline",
        "pbc",
        "township",
        "township_leader",
        "collector",
        "village_head",
        "bank",
        "admin",
        "tax_leader",
    } <= names
    collector = User.objects.get(username="collector")
    assert collector.check_password(DEMO_PASSWORD)
    village = Unit.objects.get(code="653123100001")
    assert CollectorAuthorisation.objects.filter(collector=collector, village=village).exists()
    assert selectors.handlers_for(village=village).count() == 3
    assert User.objects.get(username="admin").is_superuser


def test_demo_users_twice_changes_nothing(divisions: Division) -> None:
    demo_users_create()
    events = AuditEvent.objects.count()
    users = User.objects.count()

    demo_users_create()

    assert AuditEvent.objects.count() == events
    assert User.objects.count() == users


def test_demo_users_command_prints_the_logins_as_json(divisions: Division, tmp_path: object) -> None:
    rows = json.loads(run("demo_users", "--json"))
    assert {"username": "tax", "password": DEMO_PASSWORD, "role": "staff", "unit_code": "653123-tax"}.items() <= rows[
        0
    ].items()
