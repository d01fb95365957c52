"""Due-lists (Art 27): tax pushes, townships and villages read only their own, exports are Chinese and logged."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from liangxian.core.models import AccessLog
from liangxian.core.scope import Actor
from liangxian.obligations.models import Obligation, ObligationRule
from liangxian.roster import duelists
from liangxian.roster.duelists import DueFilters, DueListError
from liangxian.roster.models import DueListPush
from liangxian.roster.pdf import duelist_pdf

from .due_fixtures import due_county, f

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return due_county()


def scope_of(user: Any) -> duelists.DueScope:
    return duelists.due_scope(Actor.of(user))


def push_obligation(county: dict[str, Any]) -> Obligation:
    rule = ObligationRule.objects.create(
        code="duelist.push",
        title="向各乡（镇）推送当年应缴费人员台账",
        owner_kind="department",
        owner_departments=["tax"],
        anchor="period_start",
        offset=-1,
    )
    return Obligation.objects.create(
        rule=rule,
        campaign=county["campaign"],
        unit=county["tax"].unit,
        period=str(county["campaign"].coverage_year),
        due_date=county["campaign"].period_start,
        created_at=timezone.now(),
    )


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages))
    return "".join(text.split())


def test_push_records_one_push_per_township_and_fulfils_the_obligation(county: dict[str, Any]) -> None:
    # given tax's open obligation to push the due-lists
    obligation = push_obligation(county)

    # when tax pushes every township
    pushes = duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])

    # then each township has its push from the build, counting the persons still to pay
    by_town = {p.township.code: p for p in pushes}
    assert set(by_town) == {"township-a", "township-b"}
    assert by_town["township-a"].entries == 3 and by_town["township-b"].entries == 1
    assert by_town["township-a"].build == county["build"]
    # and the obligation is fulfilled by the push
    obligation.refresh_from_db()
    assert obligation.fulfilled_at is not None
    assert obligation.fulfilled_ref == f"roster.build:{county['build'].pk}"


def test_pushing_only_one_township_leaves_the_obligation_open(county: dict[str, Any]) -> None:
    obligation = push_obligation(county)

    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"], townships=["township-a"])

    obligation.refresh_from_db()
    assert obligation.fulfilled_at is None
    assert DueListPush.objects.filter(township=county["town_b"]).count() == 0


def test_only_tax_pushes(county: dict[str, Any]) -> None:
    with pytest.raises(DueListError) as caught:
        duelists.duelist_push(actor=county["town_a_user"], campaign=county["campaign"])
    assert caught.value.code == "forbidden"


def test_push_needs_a_finished_build(county: dict[str, Any]) -> None:
    county["build"].status = "running"
    county["build"].save(update_fields=["status"])
    with pytest.raises(DueListError) as caught:
        duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    assert caught.value.code == "no_build"


def test_township_sees_nothing_before_the_push(county: dict[str, Any]) -> None:
    scope = scope_of(county["town_a_user"])
    with pytest.raises(DueListError) as caught:
        duelists.check_pushed(scope, county["campaign"])
    assert caught.value.code == "not_pushed"


def test_township_sees_only_its_own_entries_still_to_pay(county: dict[str, Any]) -> None:
    # given the lists are pushed
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])

    # when township A reads its list
    entries = duelists.due_entries(scope=scope_of(county["town_a_user"]), campaign=county["campaign"])

    # then it holds its must-pay entries only: not B's 买买提, not 赵六 who need not pay
    names = sorted({e.person.name for e in entries})
    assert names == ["李明", "王芳", "阿依古丽·艾买提"]
    assert all(e.township_code == f.TOWN_A for e in entries)


def test_village_sees_only_its_village(county: dict[str, Any]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    scope = scope_of(county["village_a1_user"])

    entries = duelists.due_entries(scope=scope, campaign=county["campaign"])
    # a village filter outside the village matches nothing rather than widening the scope
    other = duelists.due_entries(scope=scope, campaign=county["campaign"], filters=DueFilters(village=f.VILLAGE_A2))

    assert {e.village_code for e in entries} == {f.VILLAGE_A1}
    assert other.count() == 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (DueFilters(village=f.VILLAGE_A2), {"李明"}),
        (DueFilters(insurance="pension"), {"阿依古丽·艾买提"}),
        (DueFilters(category="minimum_allowance"), {"王芳"}),
        (DueFilters(category="none", insurance="medical"), {"阿依古丽·艾买提", "李明"}),
        (DueFilters(cash_only=True), {"阿依古丽·艾买提"}),
        (DueFilters(q="王"), {"王芳"}),
    ],
)
def test_filters(county: dict[str, Any], filters: DueFilters, expected: set[str]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    entries = duelists.due_entries(scope=scope_of(county["town_a_user"]), campaign=county["campaign"], filters=filters)
    assert {e.person.name for e in entries} == expected


def test_search_by_id_number_is_exact(county: dict[str, Any]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    number = county["people"]["li"].id_number
    scope = scope_of(county["town_a_user"])

    whole = duelists.due_entries(scope=scope, campaign=county["campaign"], filters=DueFilters(q=number))
    prefix = duelists.due_entries(scope=scope, campaign=county["campaign"], filters=DueFilters(q=number[:10]))

    assert {e.person.name for e in whole} == {"李明"}
    assert prefix.count() == 0


def test_xlsx_has_chinese_headers_the_rows_masked_ids_and_the_exporter(county: dict[str, Any]) -> None:
    # given township A's list pushed
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    scope = scope_of(county["town_a_user"])
    target = io.BytesIO()

    # when the township exports it
    count = duelists.duelist_xlsx(
        scope=scope, campaign=county["campaign"], filters=DueFilters(), target=target, exporter="town_a"
    )

    # then the workbook opens with the mark, the Chinese headers and its four entries
    sheet = load_workbook(io.BytesIO(target.getvalue()), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert count == 4
    assert "导出人：town_a" in rows[0][0]
    assert rows[2][:5] == ["序号", "乡镇", "村（社区）", "姓名", "身份证号码"]
    body = rows[3:]
    assert len(body) == 4
    assert {r[3] for r in body} == {"阿依古丽·艾买提", "王芳", "李明"}
    li = next(r for r in body if r[3] == "李明")
    assert li[1] == "英吉沙镇" and li[2] == "二村" and li[7] == "400.00"
    assert "*" in li[4] and li[4] != county["people"]["li"].id_number
    assert next(r for r in body if r[3] == "王芳")[8] == "低保"  # the county's label of the 代缴 category
    # and the export is in the access log with the township's duty
    log = AccessLog.objects.get(object_type=duelists.OBJECT_TYPE, action="export")
    assert (log.duty, log.count, log.user_id) == ("township_collection", 4, county["town_a_user"].pk)


def test_xlsx_escapes_formulas(county: dict[str, Any]) -> None:
    person = county["people"]["li"]
    person.name = "=HYPERLINK(1)"
    person.save(update_fields=["name"])
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])
    target = io.BytesIO()

    duelists.duelist_xlsx(
        scope=scope_of(county["tax"]), campaign=county["campaign"], filters=DueFilters(), target=target, exporter="tax"
    )

    sheet = load_workbook(io.BytesIO(target.getvalue()), read_only=True).active
    names = [r[3] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert "'=HYPERLINK(1)" in names


def test_tax_export_shows_whole_id_numbers(county: dict[str, Any]) -> None:
    target = io.BytesIO()
    duelists.duelist_xlsx(
        scope=scope_of(county["tax"]), campaign=county["campaign"], filters=DueFilters(), target=target, exporter="tax"
    )
    sheet = load_workbook(io.BytesIO(target.getvalue()), read_only=True).active
    numbers = {r[4] for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert county["people"]["mamat"].id_number in numbers


def test_pdf_is_chinese_with_names_masked_ids_and_who_printed(county: dict[str, Any]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])

    data = duelist_pdf(
        scope=scope_of(county["town_a_user"]), campaign=county["campaign"], township_code=f.TOWN_A, printed_by="town_a"
    )

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2  # one section per village: 一村, 二村
    text = pdf_text(data)
    assert "应缴费人员台账" in text and "英吉沙镇" in text and "一村" in text and "二村" in text
    assert "阿依古丽·艾买提" in text and "李明" in text
    assert "买买提·吐尔逊" not in text  # township B's
    assert county["people"]["li"].id_number not in text
    assert "town_a" in text and "第1页" in text
    assert AccessLog.objects.filter(object_type=duelists.OBJECT_TYPE, action="export", query__startswith="pdf").exists()


def test_progress_counts_must_pay_paid_and_coverage_per_village(county: dict[str, Any]) -> None:
    duelists.duelist_push(actor=county["tax"], campaign=county["campaign"])

    rows = duelists.progress(scope=scope_of(county["town_a_user"]), campaign=county["campaign"])

    (town,) = rows
    assert (town.code, town.must_pay, town.paid, town.to_pay) == (f.TOWN_A, 3, 0, 3)
    a1, a2 = town.children
    assert (a1.code, a1.must_pay, a1.target, a1.coverage) == (f.VILLAGE_A1, 2, 4, 0.0)
    assert (a2.must_pay, a2.target, a2.coverage) == (1, None, None)
    assert town.target == 4
    assert AccessLog.objects.filter(object_type=duelists.OBJECT_TYPE, query__startswith="progress").exists()


def test_tax_progress_lists_every_township(county: dict[str, Any]) -> None:
    rows = duelists.progress(scope=scope_of(county["tax"]), campaign=county["campaign"])
    assert [(r.code, r.must_pay) for r in rows] == [(f.TOWN_A, 3), (f.TOWN_B, 1)]


def test_other_departments_have_no_due_list(county: dict[str, Any]) -> None:
    with pytest.raises(DueListError):
        duelists.due_scope(Actor.of(county["police"]))
