"""Channel daily files: the readers and writers, and the import that reconciles them with the real-time record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from liangxian.collection import channel_files as cf
from liangxian.collection.intake import IntakeError, channel_import
from liangxian.collection.models import ChannelImport, EntrySettlement, Payment, PaymentIssue
from liangxian.collection.services import PaymentIn, payment_record
from liangxian.collection.tests.fixtures import f, paid_at, roster_entry
from liangxian.core.models import AuditEvent
from liangxian.roster.models import RosterEntry

DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "channels"


def _row(entry: RosterEntry, txn: str, amount: int, **extra: Any) -> dict[str, Any]:
    return {
        "txn_no": txn,
        "paid_at": paid_at(),
        "id_number": entry.person.id_number,
        "name": entry.person.name,
        "insurance": entry.insurance,
        "coverage_year": entry.campaign.coverage_year,
        "amount_fen": amount,
        **extra,
    }


# ------------------------------------------------------------------------------------------------ files (no DB)


def test_wechat_bill_round_trips_payments_and_refunds(tmp_path: Path) -> None:
    rows = [
        {"txn_no": "4200001", "paid_at": paid_at(), "id_number": "653123198001010014", "name": "阿依古丽·艾买提",
         "insurance": "pension", "coverage_year": 2027, "amount_fen": 30000, "tier_fen": 30000, "account": "oUpF8u"},
        {"txn_no": "5030001", "kind": "refund", "original_txn_no": "4200001", "paid_at": paid_at(),
         "id_number": "653123198001010014", "name": "阿依古丽·艾买提", "insurance": "pension", "coverage_year": 2027,
         "amount_fen": -30000},
    ]  # fmt: skip
    path = cf.write_wechat_bill(rows, tmp_path / "bill.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith("`2026-11-02 12:30:00,")  # Beijing time, backtick-prefixed
    assert text.splitlines()[-2].startswith("总交易单数")
    frame = cf.read_wechat_bill(path.read_bytes())
    assert frame.get_column("txn_no").to_list() == ["4200001", "5030001"]
    assert frame.get_column("kind").to_list() == ["payment", "refund"]
    assert frame.get_column("amount_fen").to_list() == [30000, -30000]
    assert frame.get_column("original_txn_no").to_list() == [None, "4200001"]
    assert frame.get_column("tier_fen").to_list()[0] == 30000
    assert frame.get_column("paid_at").to_list()[0] == paid_at()
    assert frame.get_column("name").to_list()[0] == "阿依古丽·艾买提"
    account = frame.get_column("account_hash").to_list()[0]
    assert account == cf.account_hash("oUpF8u") and "oUpF8u" not in account


def test_a_truncated_wechat_bill_is_refused_whole(tmp_path: Path) -> None:
    rows = [{"txn_no": f"42{i}", "paid_at": paid_at(), "id_number": "653123198001010014", "insurance": "medical",
             "coverage_year": 2027, "amount_fen": 40000} for i in range(3)]  # fmt: skip
    lines = cf.write_wechat_bill(rows, tmp_path / "bill.csv").read_text(encoding="utf-8").splitlines()
    cut = "\n".join(lines[:2] + lines[-2:]) + "\n"  # two lines lost, summary still says 3
    with pytest.raises(cf.ChannelFileError) as refused:
        cf.read_wechat_bill(cut.encode())
    assert refused.value.code == "summary_mismatch"
    with pytest.raises(cf.ChannelFileError) as no_summary:
        cf.read_wechat_bill("\n".join(lines[:-2]).encode())
    assert no_summary.value.code == "no_summary"


@pytest.mark.parametrize("channel", ["hall", "pos", "etax", "siclient", "bank", "gov"])
def test_each_channel_csv_round_trips(channel: str, tmp_path: Path) -> None:
    row = {"txn_no": "T1", "paid_at": paid_at(), "id_number": "653123198001010014", "name": "王芳",
           "insurance": "medical", "coverage_year": 2027, "amount_fen": 40050, "terminal": "POS-7", "operator": "0042",
           "card_no": "6222020200000000001", "account": "si-user-9", "etax_voucher": "V1",
           "batch_no": "B1"}  # fmt: skip
    path = cf.write_channel_csv(channel, [row], tmp_path / f"{channel}.csv")
    assert "6222020200000000001" not in path.read_text() or channel == "bank"  # the raw card only in a bank file
    frame = cf.read_channel_csv(channel, path.read_bytes())
    got = frame.row(0, named=True)
    assert (got["amount_fen"], got["other_fen"]) == ((0, 40050) if channel == "gov" else (40050, 0))
    assert got["paid_at"] == paid_at()
    if channel == "pos":
        assert (got["pos_terminal"], got["operator"]) == ("POS-7", "0042")
    if channel == "bank":
        assert got["account_hash"] == cf.account_hash("6222020200000000001")
        assert got["batch_no"] == "B1"
    assert cf.csv_template(channel).splitlines()[0].split(",") == cf.CSV_COLUMNS[channel]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("txn_no,paid_at,id_number\nT1,2026-11-02 12:00:00,653123198001010014\n", "missing_columns"),
        ("txn_no,paid_at,id_number,insurance,coverage_year,amount\nT1,2026-11-02,X,medical,2027,400\n", "bad_time"),
        ("txn_no,paid_at,id_number,insurance,coverage_year,amount\nT1,2026-11-02 12:00:00,X,medical,2027,4.001\n",
         "bad_amount"),
        ("txn_no,paid_at,id_number,insurance,coverage_year,amount\nT1,2026-11-02 12:00:00,X,medical,2027,400\n"
         "T1,2026-11-02 12:00:00,X,medical,2027,400\n", "duplicate_txn"),
        ("txn_no,paid_at,id_number,insurance,coverage_year,amount,kind\n"
         "T1,2026-11-02 12:00:00,X,medical,2027,400,refund\n", "refund_without_original"),
    ],
)  # fmt: skip
def test_a_bad_csv_is_refused_with_its_reason(text: str, code: str) -> None:
    with pytest.raises(cf.ChannelFileError) as refused:
        cf.read_channel_csv("hall", text.encode())
    assert refused.value.code == code
    assert refused.value.message


def test_the_dirty_sample_files_read_or_refuse_as_documented() -> None:
    assert cf.read_wechat_bill((DATA / "wechat_bill_sample.csv").read_bytes()).height == 3
    assert cf.read_channel_csv("pos", (DATA / "pos_gbk_spaces.csv").read_bytes()).height == 2
    with pytest.raises(cf.ChannelFileError):
        cf.read_wechat_bill((DATA / "wechat_bill_truncated.csv").read_bytes())


# ------------------------------------------------------------------------------------------------ import


@pytest.mark.django_db
def test_import_loads_new_lines_counts_them_and_queues_the_rest(tmp_path: Path) -> None:
    tax = f.department("tax")
    medical = roster_entry("medical", own_fen=40000)
    other = roster_entry("medical", own_fen=40000)
    rows = [
        _row(medical, "W1", 40000),
        _row(other, "W2", 39000),  # wrong amount
        {**_row(other, "W3", 40000), "id_number": "110101199003074477"},  # not in the register
    ]
    path = cf.write_wechat_bill(rows, tmp_path / "bill.csv")
    result = channel_import(channel="wechat", path=path, by=tax)
    assert result.counts["lines"] == 3 and result.counts["new"] == 3
    assert result.counts["counted"] == 1 and result.counts["queued"] == 2
    assert Payment.objects.get(txn_no="W1").entry_id == medical.pk
    assert EntrySettlement.objects.get(entry=medical).paid
    assert set(PaymentIssue.objects.values_list("payment__txn_no", "reason")) == {
        ("W2", "wrong_amount"),
        ("W3", "unknown_person"),
    }
    assert AuditEvent.objects.filter(action="collection.channel_import", object_id=str(result.channel_import.pk))


@pytest.mark.django_db
def test_notified_lines_are_marked_not_recorded_twice_and_missing_ones_flagged(tmp_path: Path) -> None:
    tax = f.department("tax")
    one, two, three = (roster_entry("medical", own_fen=40000) for _ in range(3))
    for entry, txn in ((one, "N1"), (two, "N2")):
        payment_record(
            PaymentIn(channel="wechat", txn_no=txn, id_number=entry.person.id_number, insurance="medical",
                      coverage_year=2027, amount_fen=40000, paid_at=paid_at(), source="api", notified_at=paid_at())
        )  # fmt: skip
    # The file holds N1 (notified) and D1 (never notified: 掉单), but not N2.
    path = cf.write_wechat_bill([_row(one, "N1", 40000), _row(three, "D1", 40000)], tmp_path / "bill.csv")
    result = channel_import(channel="wechat", path=path, by=tax)
    assert (result.counts["known"], result.counts["new"], result.counts["not_in_file"]) == (1, 1, 1)
    assert Payment.objects.filter(txn_no="N1").count() == 1
    assert Payment.objects.get(txn_no="N1").in_file_at is not None
    assert Payment.objects.get(txn_no="D1").entry_id == three.pk
    flagged = PaymentIssue.objects.get(reason="not_in_file")
    assert flagged.payment.txn_no == "N2"
    assert Payment.objects.get(txn_no="N2").entry_id == two.pk  # still counts, but is on the queue


@pytest.mark.django_db
def test_refund_lines_link_to_their_original_in_the_file_or_on_record(tmp_path: Path) -> None:
    tax = f.department("tax")
    entry = roster_entry("medical", own_fen=40000)
    earlier = cf.write_channel_csv("hall", [_row(entry, "H1", 40000)], tmp_path / "day1.csv")
    channel_import(channel="hall", path=earlier, by=tax)
    assert EntrySettlement.objects.get(entry=entry).paid
    later = [
        _row(entry, "H1R", -40000, kind="refund", original_txn_no="H1", paid_at=paid_at() + timedelta(days=1)),
        _row(entry, "H9R", -40000, kind="refund", original_txn_no="NOPE", paid_at=paid_at() + timedelta(days=1)),
    ]
    result = channel_import(channel="hall", path=cf.write_channel_csv("hall", later, tmp_path / "day2.csv"), by=tax)
    assert result.counts["refunds"] == 2
    refund = Payment.objects.get(txn_no="H1R")
    assert (
        refund.original is not None
        and refund.original.txn_no == "H1"
        and refund.entry_id == entry.pk
        and refund.amount_fen == -40000
    )
    assert not EntrySettlement.objects.get(entry=entry).paid
    assert PaymentIssue.objects.get(payment__txn_no="H9R").reason == "refund_unlinked"


@pytest.mark.django_db
def test_the_same_file_twice_answers_the_first_import(tmp_path: Path) -> None:
    tax = f.department("tax")
    entry = roster_entry("medical", own_fen=40000)
    path = cf.write_channel_csv("pos", [_row(entry, "P1", 40000, terminal="T9")], tmp_path / "pos.csv")
    first = channel_import(channel="pos", path=path, by=tax)
    again = channel_import(channel="pos", path=path, by=tax)
    assert again.repeat and again.channel_import.pk == first.channel_import.pk
    assert again.counts == first.counts
    assert Payment.objects.count() == 1 and ChannelImport.objects.count() == 1
    assert Payment.objects.get().pos_terminal == "T9"


@pytest.mark.django_db
def test_gov_batch_pays_the_daijiao_part(tmp_path: Path) -> None:
    finance = f.department("finance")
    entry = roster_entry("medical", own_fen=20000, gov_fen=20000)
    payment_record(
        PaymentIn(channel="wechat", txn_no="W1", id_number=entry.person.id_number, insurance="medical",
                  coverage_year=2027, amount_fen=20000, paid_at=paid_at(), source="api")
    )  # fmt: skip
    assert not EntrySettlement.objects.get(entry=entry).paid
    path = cf.write_channel_csv("gov", [_row(entry, "G1", 20000, batch_no="CZ-1")], tmp_path / "gov.csv")
    result = channel_import(channel="gov", path=path, by=finance)
    assert result.counts["counted"] == 1
    payment = Payment.objects.get(txn_no="G1")
    assert (payment.amount_fen, payment.other_fen, payment.source) == (0, 20000, "batch")
    assert EntrySettlement.objects.get(entry=entry).paid


@pytest.mark.django_db
def test_a_refused_file_changes_no_payment_and_keeps_the_reason(tmp_path: Path) -> None:
    f.county()
    tax = f.department("tax")
    bad = tmp_path / "bad.csv"
    bad.write_text("txn_no,paid_at\nX,yesterday\n", encoding="utf-8")
    with pytest.raises(IntakeError) as refused:
        channel_import(channel="etax", path=bad, by=tax)
    assert refused.value.code == "missing_columns"
    assert Payment.objects.count() == 0
    record = ChannelImport.objects.get()
    assert record.status == "refused" and record.error


@pytest.mark.django_db
def test_only_tax_and_finance_import(tmp_path: Path) -> None:
    f.county()
    township = f.user(f.unit(f.TOWN_A, kind="township"))
    path = tmp_path / "x.csv"
    path.write_text(cf.csv_template("hall"), encoding="utf-8")
    with pytest.raises(IntakeError) as refused:
        channel_import(channel="hall", path=path, by=township)
    assert refused.value.code == "forbidden"
