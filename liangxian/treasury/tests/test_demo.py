"""The demo's October: vouchers and entry dates given in one UPDATE, a statement with exactly three differences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from liangxian.collection.models import Payment
from liangxian.core.calendar import work_calendar
from liangxian.core.workdays import add_working_days
from liangxian.org.models import Role
from liangxian.registry.tests import factories as f
from liangxian.treasury.demo import demo_seed
from liangxian.treasury.models import Difference, TreasuryStatement

from .fixtures import payment, treasury_county

pytestmark = pytest.mark.django_db


def test_demo_seed_shows_exactly_the_three_deliberate_differences_and_runs_twice(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    county = treasury_county()
    f.user(county["tax"].unit, Role.STAFF, username="tax")
    bare = payment("", None, 40000)  # paid 9 October, no voucher nor entry date yet
    gov = payment("", None, 0, other_fen=20000, channel="gov")
    Payment.objects.filter(pk=gov.pk).update(batch_no="DJ20261009")

    report = demo_seed()

    bare.refresh_from_db()
    assert bare.etax_voucher == f"SPT{bare.pk:011d}"
    assert bare.treasury_date == add_working_days(work_calendar(), bare.paid_at.date(), 1)
    assert Payment.objects.get(pk=gov.pk).etax_voucher == "SPDJ20261009M"
    assert sorted(Difference.objects.values_list("kind", flat=True)) == ["amount", "ours_only", "reversal"]
    assert set(report["altered"].values()) == set(Difference.objects.values_list("voucher", flat=True))
    assert Path(report["statement"]).read_bytes().decode("gbk").startswith("中国人民银行英吉沙县支行")

    again = demo_seed()
    assert again["payments_updated"] == 0 and not again["created"]
    assert TreasuryStatement.objects.count() == 1 and Difference.objects.count() == 3
