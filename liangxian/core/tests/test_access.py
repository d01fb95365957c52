import pytest
from django.test import RequestFactory

from liangxian.core.access import access_log
from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor

pytestmark = pytest.mark.django_db

VILLAGE = Actor(
    user_id=None,
    unit_code="village-653123100001",
    unit_kind="village",
    department="",
    role="collector",
    division_code="653123100001",
)


def test_an_access_row_records_who_what_and_for_which_duty():
    request = RequestFactory().get("/residents/?page=2")

    access_log(
        actor=VILLAGE, action="list", object_type="registry.person", object_ids=[3, 4], query="q=王", request=request
    )

    row = AccessLog.objects.get()
    assert (row.unit_code, row.duty, row.action, row.object_ids, row.count, row.path, row.channel) == (
        "village-653123100001",
        "village_collection",
        "list",
        ["3", "4"],
        2,
        "/residents/?page=2",
        "web",
    )
    assert row.at is not None


def test_a_large_listing_keeps_its_count_but_not_every_id():
    access_log(actor=VILLAGE, action="export", object_type="registry.person", object_ids=list(range(500)))

    row = AccessLog.objects.get()
    assert (len(row.object_ids), row.count) == (200, 500)


def test_an_actor_without_a_duty_is_logged_under_none():
    nobody = Actor(user_id=None, unit_code="", unit_kind="", department="", role="staff", division_code="")

    access_log(actor=nobody, action="denied", object_type="registry.person", object_ids=[1], channel="api")

    assert (AccessLog.objects.get().duty, AccessLog.objects.get().channel) == ("none", "api")
