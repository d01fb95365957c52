"""Civil affairs submits its special-hardship list in Chromium, the leader signs it, a second version is compared."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from liangxian import batch
from liangxian.core.idnumbers import check_digit
from liangxian.demo.users import DEMO_PASSWORD
from liangxian.exchange.catalogue import catalogue_load
from liangxian.exchange.models import Submission, SubmissionStatus
from liangxian.org import services as org_services
from liangxian.org.models import Department, Role, Unit, UnitKind, User
from liangxian.web.tests.roles import demo_logins

from .browser import PageProblems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u4e00-\u9fff]")
HARDSHIP_NAME = "城乡特困人员名册"
HEADER = ["序号", "乡镇", "村（社区）", "姓名", "身份证号码", "性别", "年龄", "供养方式", "备注"]
# The whole pipeline (read, classify, diff, register) runs inside the upload's request.
PROCESSING_MS = 240_000
_recorders = itertools.count(1)


def _ident(n: int) -> str:
    body = f"65312319500101{n:03d}"[:17]
    return body + check_digit(body)


def _row(n: int, name: str, id_number: str | None = None, mode: str = "分散供养") -> list[str]:
    return [str(n), "英吉沙镇", "一村", name, id_number or _ident(n), "男", "76", mode, ""]


def _bad_check_digit(n: int) -> str:
    good = _ident(n)
    return good[:17] + ("1" if good[17] != "1" else "2")


# Version 1: one clean row, one name with a look-alike separator (repaired), a wrong check digit, a duplicate.
VERSION_1 = [_row(1, "王芳"), _row(2, "阿卜杜拉•买买提"), _row(3, "李四", _bad_check_digit(3)), _row(1, "王芳")]
# Version 2: 王芳 moves to collective support, 赵六 is added, the faulty row is gone.
VERSION_2 = [_row(1, "王芳", mode="集中供养"), _row(2, "阿卜杜拉·买买提"), _row(4, "赵六")]


def _scan_pdf(path: Path) -> Path:
    """Write a one-page PDF, as a scanner would send the signed and stamped page."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as out:
        writer.write(out)
    return path


def _list_file(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    """Write the list as the clerk's xlsx (ID numbers as text); csv while the xlsx reader is not there yet."""
    if (Path(batch.__file__).parent / "readers.py").exists():
        import xlsxwriter

        path = tmp_path / f"{name}.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("特困人员")
        sheet.write_string(0, 0, "英吉沙县城乡特困人员名册")  # a title row above the header, as the bureau writes it
        for col, label in enumerate(HEADER):
            sheet.write_string(1, col, label)
        for r, values in enumerate(rows, start=2):
            for col, value in enumerate(values):
                sheet.write_string(r, col, value)
        book.close()
        return path
    import csv

    path = tmp_path / f"{name}.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def county(live_server: Any, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """The demo county and logins, the catalogue, and the civil-affairs leader."""
    from liangxian.exchange.tests.test_services import install_standins

    install_standins(monkeypatch)
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_logins()
    catalogue_load()
    civil = Unit.objects.get(kind=UnitKind.DEPARTMENT, department=Department.CIVIL)
    if not User.objects.filter(username="civil_leader").exists():  # newer demo data has him already
        org_services.user_create(
            actor=None,
            username="civil_leader",
            password=DEMO_PASSWORD,
            unit=civil,
            role=Role.LEADER,
            full_name="阿不都热依木·吐尔逊",
        )
    assert User.objects.get(username="civil_leader").unit == civil
    return {"url": live_server.url, "tmp": tmp_path}


def _sign_out(page: Any) -> None:
    page.click(".account button[type=submit]")
    page.wait_for_load_state()


def _upload(page: Any, base_url: str, file: Path) -> None:
    """Open the list's upload page from the catalogue, send the file and wait for the version page."""
    page.goto(f"{base_url}/exchange/")
    card = page.locator("section.dataset", has=page.get_by_role("heading", name=HARDSHIP_NAME))
    assert "民政局" in card.locator(".provider").inner_text()
    card.locator("a.submit").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"报送：{HARDSHIP_NAME}"
    page.set_input_files("input[type=file][name=file]", str(file))
    page.select_option("select[name=method]", "media")
    seen: list[str] = []
    recorder = f"recordUploadStatus{next(_recorders)}"
    page.expose_function(recorder, lambda text: seen.append(text))
    # A small list is processed in a blink: the page's status line is recorded as it changes, not polled.
    page.evaluate(
        """(recorder) => {
          const status = document.querySelector('.upload-status');
          const box = document.querySelector('.upload-progress');
          const bar = document.querySelector('progress.upload-bar');
          new MutationObserver(() => window[recorder](
            (box.hidden ? 'hidden ' : 'shown ') + bar.value + ' ' + status.textContent
          )).observe(status, {childList: true, characterData: true, subtree: true});
        }""",
        recorder,
    )
    page.click(".upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/exchange/submissions/\d+/$"), timeout=PROCESSING_MS)
    # the progress bar showed while the file went up and the server worked on it, in Chinese
    assert any(s.startswith("shown ") and "正在上传" in s for s in seen), seen
    assert all(HAN.search(s) for s in seen), seen


def _figure(page: Any, kind: str) -> int:
    return int(page.locator(f".counts .{kind} dd").inner_text())


def test_civil_affairs_list_is_uploaded_checked_approved_and_compared(
    county: dict[str, Any], browser_page: tuple[Any, PageProblems]
) -> None:
    page, problems = browser_page
    base = county["url"]
    page.set_default_timeout(30_000)

    # given the civil-affairs clerk uploads a dirty special-hardship list
    sign_in(page, base, "civil", password=DEMO_PASSWORD)
    _upload(page, base, _list_file(county["tmp"], "特困人员名册-第1版", VERSION_1))

    # then he sees the counts, which add up to the rows of the file, and that the list awaits approval
    assert page.locator(".messages").inner_text().startswith("已收到第 1 版")
    rows, accepted, repaired, rejected = (_figure(page, k) for k in ("total", "accepted", "repaired", "rejected"))
    assert (rows, rejected) == (4, 2)
    assert rows == accepted + repaired + rejected
    assert page.locator("#counts-h .status").inner_text() == "待审批"
    # and the row report gives the reason in Chinese and the column the fault is in
    page.locator("#rows .filters a", has_text="未通过").click()
    page.wait_for_load_state()
    report = page.locator("table.row-report tbody")
    assert report.locator("tr").count() == 2
    wrong = report.locator("tr", has_text="李四")
    assert "校验码错误" in wrong.locator("td.reason").inner_text()
    assert wrong.locator("td[data-label='列名']").inner_text() == "身份证号码"
    assert "同一文件内重复" in report.inner_text()
    # and the error report is there to download
    with page.expect_download() as download:
        page.locator("a.errors-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # when he records the review, the signing stays with the leader
    review = page.locator(".approval-stages li[data-stage=review]")
    review.get_by_role("button", name=re.compile("审批：")).click()
    page.wait_for_load_state()
    assert "已审批" in page.locator(".approval-stages li[data-stage=review]").inner_text()
    sign = page.locator(".approval-stages li[data-stage=leader_sign]")
    assert sign.locator("fieldset[disabled]").count() == 1
    detail_url = page.url.split("#")[0]
    _sign_out(page)

    # when the civil-affairs leader signs with the scanned, stamped page
    sign_in(page, base, "civil_leader", password=DEMO_PASSWORD)
    page.goto(detail_url)
    sign = page.locator(".approval-stages li[data-stage=leader_sign]")
    scan = _scan_pdf(county["tmp"] / "签字盖章页.pdf")
    sign.locator("input[type=file]").set_input_files(str(scan))
    sign.get_by_role("button", name=re.compile("审批：")).click()
    page.wait_for_load_state()

    # then the list is in force
    assert "该版本名单已生效" in page.locator(".messages").inner_text()
    assert page.locator("#counts-h .status").inner_text() == "已生效"
    first = Submission.objects.get(version=1)
    assert first.status == SubmissionStatus.IN_FORCE

    # when a second version comes with a person added and one changed
    _upload(page, base, _list_file(county["tmp"], "特困人员名册-第2版", VERSION_2))

    # then the comparison shows both, with the field that changed, in Chinese
    changes = page.locator("table.version-changes tbody")
    added = changes.locator("tr.added")
    assert "赵六" in added.inner_text()
    assert "新增" in added.inner_text()
    changed = changes.locator("tr.changed")
    assert "王芳" in changed.inner_text()
    assert "供养方式" in changed.inner_text()
    assert "集中供养" in changed.locator(".after").inner_text()
    with page.expect_download() as download:
        page.locator("a.changes-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    # and nothing raised a script error or broke the CSP on the way
    assert problems.all(page) == []
