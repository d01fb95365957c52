"""The collection progress dashboard: the numbers per area and day, the scope, the page and the API."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liangxian.collection.models import Payment
from liangxian.collection.selectors_dashboard import (
    DashboardError,
    collection_progress,
    dashboard_scope,
    progress_chart,
)
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.roster.tests.due_fixtures import due_county, f

pytestmark = pytest.mark.django_db
DAY1 = datetime(2026, 11, 2, 4, 30, tzinfo=UTC)  # 12:30 in Kashgar's official (Beijing) time
DAY2 = DAY1 + timedelta(days=1)


@pytest.fixture
def county() -> dict[str, Any]:
    return due_county()


def pay(person: Any, txn: str, amount: int, *, at: datetime = DAY1, **extra: Any) -> Payment:
    data = {"channel": "wechat", "insurance": "medical", "coverage_year": 2027, "source": "file", **extra}
    return payment_record(
        PaymentIn(txn_no=txn, id_number=person.id_number, amount_fen=amount, paid_at=at, **data)
    ).payment


@pytest.fixture
def paid(county: dict[str, Any]) -> dict[str, Any]:
    """A1: 阿依古丽 pays by WeChat; 王芳's 代缴 comes from finance and her own part in cash. A2: 李明 pays a wrong
    amount (queued). B1: 买买提 pays at the hall on day 2 and is refunded. An unknown ID is queued with no area."""
    people = county["people"]
    collector = f.collector(f.VILLAGE_A1)
    pay(people["aygul"], "w1", 40000)
    pay(people["wang"], "g1", 0, other_fen=20000, channel="gov", source="batch")
    pay(people["wang"], "c1", 20000, channel="hall", source="cash", collector_id=collector.pk)
    pay(people["li"], "w2", 12345)
    original = pay(people["mamat"], "h1", 40000, channel="hall", at=DAY2)
    pay(people["mamat"], "h1-r", -40000, channel="hall", kind="refund", original_id=original.pk, at=DAY2)
    payment_record(
        PaymentIn(
            channel="wechat",
            txn_no="w9",
            id_number=f.id_number(),
            insurance="medical",
            coverage_year=2027,
            amount_fen=40000,
            paid_at=DAY1,
            source="file",
        )
    )
    return county


def scope_of(user: Any) -> Any:
    return dashboard_scope(Actor.of(user))


def test_county_counts_due_paid_subsidised_outstanding_and_cash_per_township(paid: dict[str, Any]) -> None:
    progress = collection_progress(scope=scope_of(paid["tax"]), campaign=paid["campaign"])

    assert progress.level == "county" and progress.child_level == "township"
    a, b = progress.rows
    assert (a.code, a.entries, a.paid_entries, a.due_fen) == (f.TOWN_A, 4, 2, 140000)
    assert (a.own_paid_fen, a.gov_paid_fen, a.cash_fen, a.cash_share) == (60000, 20000, 20000, 33.3)
    assert (a.outstanding_entries, a.outstanding_fen, a.open_issues) == (2, 60000, 1)
    assert (b.code, b.entries, b.paid_entries, b.own_paid_fen, b.outstanding_fen, b.payments) == (
        f.TOWN_B,
        1,
        0,
        0,
        40000,
        2,
    )
    total = progress.total
    assert (total.entries, total.paid_fen, total.open_issues) == (5, 80000, 1)
    assert AccessLog.objects.filter(object_type="collection_progress", user=paid["tax"]).exists()


def test_days_sum_the_payments_with_a_running_total(paid: dict[str, Any]) -> None:
    progress = collection_progress(scope=scope_of(paid["tax"]), campaign=paid["campaign"])

    (d1, d2) = progress.days
    assert (d1.day.isoformat(), d1.payments, d1.own_paid_fen, d1.gov_paid_fen, d1.cash_fen) == (
        "2026-11-02",
        3,
        60000,
        20000,
        20000,
    )
    assert (d2.day.isoformat(), d2.payments, d2.own_paid_fen, d2.cumulative_fen) == ("2026-11-03", 2, 0, 80000)
    chart = progress_chart(progress)
    assert chart["days"] == ["2026-11-02", "2026-11-03"] and chart["day_cumulative"] == [80000, 80000]


def test_township_drills_down_to_its_villages_only(paid: dict[str, Any]) -> None:
    scope = scope_of(paid["town_a_user"])

    progress = collection_progress(scope=scope, campaign=paid["campaign"])

    assert (progress.level, progress.total.code) == ("township", f.TOWN_A)
    assert [(r.code, r.entries, r.own_paid_fen, r.open_issues) for r in progress.rows] == [
        (f.VILLAGE_A1, 3, 60000, 0),
        (f.VILLAGE_A2, 1, 0, 1),
    ]
    village = collection_progress(scope=scope, campaign=paid["campaign"], level="village", code=f.VILLAGE_A1)
    assert [r.code for r in village.rows] == [f.VILLAGE_A1]
    for level, code in (("county", f.COUNTY), ("township", f.TOWN_B), ("village", f.VILLAGE_B1)):
        with pytest.raises(DashboardError) as caught:
            collection_progress(scope=scope, campaign=paid["campaign"], level=level, code=code)
        assert caught.value.code == "not_found"


def test_village_sees_its_own_village(paid: dict[str, Any]) -> None:
    progress = collection_progress(scope=scope_of(paid["village_a1_user"]), campaign=paid["campaign"])
    assert (progress.level, progress.total.code, progress.total.paid_entries) == ("village", f.VILLAGE_A1, 2)


def test_insurance_filter_counts_only_that_insurance(paid: dict[str, Any]) -> None:
    progress = collection_progress(scope=scope_of(paid["town_a_user"]), campaign=paid["campaign"], insurance="pension")
    assert (progress.total.entries, progress.total.paid_fen, progress.total.outstanding_fen) == (1, 0, 20000)


def test_departments_without_the_duty_are_refused(county: dict[str, Any]) -> None:
    with pytest.raises(DashboardError):
        dashboard_scope(Actor.of(county["police"]))
    assert dashboard_scope(Actor.of(f.department("finance"))).is_county


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_shows_totals_table_and_chart_data(paid: dict[str, Any]) -> None:
    response = client_for(paid["tax"]).get(reverse("collection:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="dash-data"' in page and "collection/dashboard.js" in page and "vendor/echarts.min.js" in page
    assert f'data-code="{f.TOWN_A}"' in page and "英吉沙镇" in page
    assert f"level=township&amp;code={f.TOWN_A}" in page  # the drill-down
    assert "600.00" in page and "200.00" in page and "33.3 %" in page


def test_page_drills_down_and_refuses_other_townships(paid: dict[str, Any]) -> None:
    client = client_for(paid["town_a_user"])
    page = client.get(reverse("collection:dashboard"), {"level": "village", "code": f.VILLAGE_A1}).content.decode()
    assert "一村" in page and f"level=township&amp;code={f.TOWN_A}" in page  # the way back up
    assert client.get(reverse("collection:dashboard"), {"level": "township", "code": f.TOWN_B}).status_code == 404
    assert client_for(paid["police"]).get(reverse("collection:dashboard")).status_code == 403


def test_api_progress_returns_the_same_numbers(paid: dict[str, Any]) -> None:
    client = client_for(paid["tax"])

    body = client.get("/api/collection/progress", {"level": "township", "code": f.TOWN_A}).json()

    assert body["level"] == "township" and body["campaign"] == 2027
    assert body["total"]["own_paid_fen"] == 60000 and body["total"]["cash_share"] == 33.3
    assert [r["code"] for r in body["rows"]] == [f.VILLAGE_A1, f.VILLAGE_A2]
    assert body["days"][0]["day"] == "2026-11-02"
    denied = client_for(paid["town_b_user"]).get("/api/collection/progress", {"level": "township", "code": f.TOWN_A})
    assert denied.status_code == 404 and denied.json()["code"] == "not_found"
    forbidden = client_for(paid["police"]).get("/api/collection/progress")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"


PAYERS = ["aygul", "wang", "li", "mamat", "zhao"]
one_payment = st.tuples(
    st.sampled_from(PAYERS),
    st.sampled_from([40000, 20000, 12345, 0]),
    st.sampled_from([0, 20000]),
    st.sampled_from(["wechat", "hall", "pos", "bank"]),
    st.booleans(),  # refunded afterwards
    st.integers(min_value=0, max_value=5),  # day
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(one_payment, max_size=12))
def test_totals_per_village_equal_the_sum_of_their_payments(county: dict[str, Any], payments: list) -> None:
    with transaction.atomic():
        for n, (who, own, gov, channel, refunded, day) in enumerate(payments):
            if own == 0 and gov == 0:
                continue
            at = DAY1 + timedelta(days=day)
            person = county["people"][who]
            made = pay(person, f"t{n}", own, other_fen=gov, channel=channel, at=at)
            if refunded and made.entry_id:
                pay(person, f"t{n}-r", -own, other_fen=-gov, channel=channel, kind="refund", original_id=made.pk, at=at)

        expected: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        counted = Payment.objects.filter(entry__isnull=False).values_list(
            "entry__village_code", "amount_fen", "other_fen"
        )
        for village, own, gov in counted:
            sums = expected[village]
            sums[0] += own
            sums[1] += gov
            sums[2] += 1
        scope = scope_of(county["tax"])
        for town in (f.TOWN_A, f.TOWN_B):
            progress = collection_progress(scope=scope, campaign=county["campaign"], level="township", code=town)
            for area in progress.rows:
                assert [area.own_paid_fen, area.gov_paid_fen, area.payments] == expected.get(area.code, [0, 0, 0])
            assert progress.total.paid_fen == sum(r.paid_fen for r in progress.rows)
            assert sum(d.own_paid_fen + d.gov_paid_fen for d in progress.days) == progress.total.paid_fen
        transaction.set_rollback(True)
