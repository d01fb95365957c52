"""Importing, matching, resolving and signing off the treasury statement (Art 36)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from liangxian.core.models import AuditEvent
from liangxian.obligations.models import Obligation
from liangxian.obligations.services import rules_load
from liangxian.org.models import Unit
from liangxian.treasury import services
from liangxian.treasury.models import Difference, StatementLine, TreasuryMonth, TreasuryStatement
from liangxian.treasury.services import TreasuryError

from .fixtures import CLEAN_LINES, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    from .fixtures import treasury_county

    return treasury_county()


def imported(county: dict[str, Any], lines: list[str], name: str = "s.csv", **kw: Any) -> services.ImportResult:
    return services.statement_import(
        by=kw.pop("by", county["tax"]), month=kw.pop("month", "2026-10"), content=csv_bytes(lines), filename=name
    )


def kinds() -> list[tuple[str, str, bool]]:
    return sorted(Difference.objects.values_list("voucher", "kind", "negative"))


def test_a_statement_that_agrees_leaves_no_difference_and_counts_both_sides(county: dict[str, Any]) -> None:
    result = imported(county, CLEAN_LINES)
    assert result.created
    assert result.counts["differences"] == 0
    # ours: 400 + 200 + 400 + (200 + 200 代缴) + 400 − 400 = 1400 yuan in 7 records; November's not counted
    assert result.counts["our_lines"] == 7 and result.counts["our_total_fen"] == 140000
    assert result.counts["statement_total_fen"] == 140000
    assert TreasuryMonth.objects.get(month="2026-10").statement_id == result.statement.pk


def test_each_kind_of_difference_is_found_exactly(county: dict[str, Any]) -> None:
    lines = [
        # SP001 missing → ours_only
        "SP002,2026-10-13,200.00,城乡居民基本养老保险,国库,否",
        "SP003,2026-10-14,40.00,城乡居民基本医疗保险,国库,否",  # amount
        "DJ001,2026-10-21,400.00,城乡居民基本医疗保险,国库,否",  # date (the batch summed: 200 + 200)
        "SP005,2026-10-21,400.00,城乡居民基本医疗保险,国库,否",  # its refund missing → reversal (ours only)
        "SP009,2026-10-25,300.00,城乡居民基本养老保险,国库,否",  # statement_only
        "SP002,2026-10-26,-200.00,城乡居民基本养老保险,国库,",  # a 退库 we do not have → reversal
    ]
    result = imported(county, lines)
    assert kinds() == [
        ("DJ001", "date", False),
        ("SP001", "ours_only", False),
        ("SP002", "reversal", True),
        ("SP003", "amount", False),
        ("SP005", "reversal", True),
        ("SP009", "statement_only", False),
    ]
    assert result.counts["by_kind"] == {"statement_only": 1, "ours_only": 1, "amount": 1, "date": 1, "reversal": 2}
    amount = Difference.objects.get(kind="amount")
    assert (amount.our_amount_fen, amount.statement_amount_fen) == (40000, 4000)
    date = Difference.objects.get(kind="date")
    assert (date.our_date, date.statement_date, date.our_lines, date.statement_lines) == (
        dt.date(2026, 10, 20),
        dt.date(2026, 10, 21),
        2,
        1,
    )
    refund = Difference.objects.get(voucher="SP005")
    assert (refund.our_amount_fen, refund.statement_amount_fen) == (-40000, None)


def test_a_month_is_signed_off_only_when_every_difference_is_resolved(county: dict[str, Any]) -> None:
    imported(county, CLEAN_LINES[1:])  # SP001 missing
    with pytest.raises(TreasuryError) as refused:
        services.month_signoff(by=county["tax"], month="2026-10")
    assert refused.value.code == "open_differences"

    difference = Difference.objects.get()
    with pytest.raises(TreasuryError) as no_note:
        services.difference_resolve(by=county["tax"], difference=difference, note="  ")
    assert no_note.value.code == "note_required"
    with pytest.raises(TreasuryError) as not_tax:
        services.difference_resolve(by=county["pbc"], difference=difference, note="补录")
    assert not_tax.value.code == "forbidden"

    services.difference_resolve(by=county["tax"], difference=difference, note="人民银行漏记，已补录")
    with pytest.raises(TreasuryError) as twice:
        services.difference_resolve(by=county["tax"], difference=difference, note="again")
    assert twice.value.code == "already_resolved"
    signed = services.month_signoff(by=county["tax"], month="2026-10", note="核对一致")
    assert signed.status == "signed_off" and signed.signed_by == county["tax"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"treasury.statement_import", "treasury.difference_resolve", "treasury.month_signoff"} <= actions


def test_a_signed_month_refuses_a_new_statement(county: dict[str, Any]) -> None:
    imported(county, CLEAN_LINES)
    services.month_signoff(by=county["tax"], month="2026-10")
    with pytest.raises(TreasuryError) as refused:
        imported(county, CLEAN_LINES[:3], name="again.csv")
    assert refused.value.code == "month_signed_off"
    assert "2026-10" in refused.value.message
    assert TreasuryStatement.objects.count() == 1


def test_the_same_file_twice_answers_with_the_first_import(county: dict[str, Any]) -> None:
    first = imported(county, CLEAN_LINES[1:])
    events = AuditEvent.objects.count()
    again = imported(county, CLEAN_LINES[1:], name="renamed.csv")
    assert not again.created and again.statement.pk == first.statement.pk
    assert TreasuryStatement.objects.count() == 1 and Difference.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_new_statement_replaces_the_old_and_keeps_resolutions_that_persist(county: dict[str, Any]) -> None:
    # given SP001 and SP003 missing, SP001's difference resolved
    imported(county, [CLEAN_LINES[1], *CLEAN_LINES[3:]])
    services.difference_resolve(by=county["tax"], difference=Difference.objects.get(voucher="SP001"), note="查明")
    # when the bank sends a corrected statement still missing SP001 but with SP003
    result = imported(county, CLEAN_LINES[1:], name="corrected.csv")
    # then only SP001 remains, still resolved with its note; the old statement is kept, replaced
    current = Difference.objects.filter(statement=result.statement)
    assert [(d.voucher, d.status, d.note) for d in current] == [("SP001", "resolved", "查明")]
    assert result.counts["kept_resolved"] == 1
    assert TreasuryStatement.objects.filter(superseded_at__isnull=False).count() == 1
    old = Difference.objects.exclude(statement=result.statement).get(voucher="SP003")
    with pytest.raises(TreasuryError) as superseded:
        services.difference_resolve(by=county["tax"], difference=old, note="x")
    assert superseded.value.code == "superseded"


def test_an_unreadable_file_or_one_with_no_usable_line_changes_nothing(county: dict[str, Any]) -> None:
    events = AuditEvent.objects.count()
    for content, code in (
        (b"\x89PNG\r\n\x1a\n0000", "unreadable"),
        (b"", "unreadable"),
        ("电子税票号,入库日期\nSP001,2026-10-12\n".encode(), "unreadable"),  # required columns missing
        (csv_bytes(["SP001,2026-11-12,400.00,城乡居民基本医疗保险,国库,否"]), "no_usable_line"),
    ):
        with pytest.raises(TreasuryError) as refused:
            services.statement_import(by=county["tax"], month="2026-10", content=content, filename="x.csv")
        assert refused.value.code == code
    assert TreasuryMonth.objects.count() == 0 and TreasuryStatement.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_failure_midway_changes_nothing(county: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # given the differences' load fails after the lines were written
    real = services.bulk_insert

    def failing(target: Any, frame: Any, **kw: Any) -> int:
        if target is Difference:
            raise RuntimeError("disk full")
        return real(target, frame, **kw)

    monkeypatch.setattr(services, "bulk_insert", failing)
    with pytest.raises(RuntimeError):
        imported(county, CLEAN_LINES[1:])
    assert StatementLine.objects.count() == 0 and TreasuryStatement.objects.count() == 0
    assert not AuditEvent.objects.filter(action="treasury.statement_import").exists()


def test_importing_the_statement_fulfils_the_banks_obligation_for_the_month(county: dict[str, Any]) -> None:
    rules_load(actor=None)
    pbc_unit = Unit.objects.get(code="653123-pbc")
    for period, due in (("2026-10", dt.date(2026, 11, 4)), ("2026-11", dt.date(2026, 12, 3))):
        Obligation.objects.create(
            rule_id="treasury.statement",
            unit=pbc_unit,
            period=period,
            trigger_date=due.replace(day=1) - dt.timedelta(days=1),
            due_date=due,
            created_at=timezone.now(),
        )
    result = imported(county, CLEAN_LINES, by=county["pbc"])
    october = Obligation.objects.get(period="2026-10")
    assert october.fulfilled_at is not None and october.fulfilled_ref == f"treasury_statement:{result.statement.pk}"
    assert Obligation.objects.get(period="2026-11").fulfilled_at is None


def test_only_tax_and_the_bank_import(county: dict[str, Any]) -> None:
    for user in (county["township"], county["finance"]):
        with pytest.raises(TreasuryError) as refused:
            imported(county, CLEAN_LINES, by=user)
        assert refused.value.code == "forbidden"
    with pytest.raises(TreasuryError) as bad_month:
        imported(county, CLEAN_LINES, month="2026-13")
    assert bad_month.value.code == "bad_month"
