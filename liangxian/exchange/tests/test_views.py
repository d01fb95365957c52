"""The exchange's pages: who may upload, who may read, what the clerk reads, approvals and versions."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from liangxian.core.idnumbers import check_digit, mask
from liangxian.core.models import AccessLog
from liangxian.exchange.catalogue import catalogue_load
from liangxian.exchange.models import Approval, Dataset, Submission, SubmissionStatus
from liangxian.exchange.tests.test_services import install_standins
from liangxian.org.models import Role, UnitKind
from liangxian.registry.tests import factories as f

pytestmark = pytest.mark.django_db

HARDSHIP = "civil_affairs.special_hardship"
HEADER = ["序号", "乡镇", "村（社区）", "姓名", "身份证号码", "性别", "年龄", "供养方式", "备注"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ident(n: int, born: str = "19500101") -> str:
    body = f"653123{born}{n:03d}"
    return body + check_digit(body)


def wrong_check_digit(n: int) -> str:
    good = ident(n)
    return good[:17] + ("1" if good[17] != "1" else "2")


def row(n: int, name: str, id_number: str | None = None, mode: str = "分散供养") -> list[str]:
    return [str(n), "英吉沙镇", "一村", name, id_number or ident(n), "男", "75", mode, ""]


def list_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


DIRTY = [row(1, "王芳"), row(2, "阿卜杜拉•买买提"), row(3, "李四", wrong_check_digit(3)), row(1, "王芳")]


@pytest.fixture
def county(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> dict[str, Any]:
    install_standins(monkeypatch)
    settings.MEDIA_ROOT = tmp_path
    f.county()
    catalogue_load()
    civil = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="civil", code="dept-civil")
    police = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="police", code="dept-police")
    medical = f.unit(f.COUNTY, kind=UnitKind.DEPARTMENT, department="medical", code="dept-medical")
    return {
        "civil": f.user(civil, full_name="买买提·艾力"),
        "civil_leader": f.user(civil, Role.LEADER, full_name="民政局长"),
        "police": f.user(police),
        "medical": f.user(medical),
        "publicity": f.department("publicity"),
    }


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(user: Any, data: bytes, name: str = "特困人员.csv", **extra: Any) -> Any:
    return client_for(user).post(
        reverse("exchange:upload", args=[HARDSHIP]),
        {"file": SimpleUploadedFile(name, data), "method": "media", "period": "2026", **extra},
    )


def submitted(county: dict[str, Any], rows: list[list[str]] = DIRTY) -> Submission:
    response = upload(county["civil"], list_csv(rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def approve(user: Any, submission: Submission, stage: str, order: int, scan: bytes | None = None) -> Any:
    data: dict[str, Any] = {f"stage-{order}-stage": stage, f"stage-{order}-note": ""}
    if scan is not None:
        data[f"stage-{order}-scan"] = SimpleUploadedFile("签字盖章.pdf", scan, content_type="application/pdf")
    return client_for(user).post(reverse("exchange:approve", args=[submission.pk]), data)


# --- catalogue -------------------------------------------------------------------------------------------------


def test_catalogue_shows_every_list_with_provider_and_template(county: dict[str, Any]) -> None:
    # when the civil-affairs clerk opens the catalogue
    response = client_for(county["civil"]).get(reverse("exchange:catalogue"))
    # then every list of the catalogue is there, with its template link, and he may submit his own lists only
    page = response.content.decode()
    assert response.status_code == 200
    for ds in Dataset.objects.filter(active=True):
        assert ds.name in page
        assert reverse("exchange:template", args=[ds.code]) in page
    assert reverse("exchange:upload", args=[HARDSHIP]) in page
    assert reverse("exchange:upload", args=["public_security.household_register"]) not in page


def test_template_downloads_as_xlsx(county: dict[str, Any]) -> None:
    response = client_for(county["medical"]).get(reverse("exchange:template", args=[HARDSHIP]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]


# --- upload ----------------------------------------------------------------------------------------------------


def test_another_department_cannot_upload_a_civil_affairs_list(county: dict[str, Any]) -> None:
    # given the police clerk
    client = client_for(county["police"])
    # when he opens or posts the civil-affairs list's upload page
    page = client.get(reverse("exchange:upload", args=[HARDSHIP]))
    posted = upload(county["police"], list_csv(DIRTY))
    # then both are refused and nothing is stored
    assert page.status_code == 403
    assert posted.status_code == 403
    assert not Submission.objects.exists()


def test_upload_classifies_rows_and_leads_to_the_version(county: dict[str, Any]) -> None:
    # when civil affairs uploads a dirty list
    submission = submitted(county)
    # then the counts add up and the page reads the Chinese reasons and the problem column
    assert submission.rows_total == 4
    assert submission.rows_total == submission.rows_accepted + submission.rows_repaired + submission.rows_rejected
    assert submission.rows_rejected == 2
    assert submission.method == "media"
    assert submission.status == SubmissionStatus.PENDING_APPROVAL
    page = client_for(county["civil"]).get(reverse("exchange:submission_detail", args=[submission.pk])).content.decode()
    assert "校验码错误" in page
    assert "同一文件内重复" in page
    assert "身份证号码" in page
    # the provider sees his own ID numbers whole
    assert ident(1) in page


def test_rejected_filter_shows_only_rejected_rows(county: dict[str, Any]) -> None:
    submission = submitted(county)
    response = client_for(county["civil"]).get(
        reverse("exchange:submission_detail", args=[submission.pk]), {"outcome": "rejected"}
    )
    rows = response.context["rows"]
    assert [r["outcome"] for r in rows] == ["rejected", "rejected"]


def test_unreadable_file_says_why_and_changes_nothing(county: dict[str, Any]) -> None:
    # when the clerk uploads a file with the required columns missing
    response = upload(county["civil"], "序号,备注\r\n1,x\r\n".encode())
    # then the page says why in Chinese and nothing is stored
    assert response.status_code == 400
    assert "缺少必需的列" in response.content.decode()
    assert not Submission.objects.exists()


def test_unreadable_file_by_script_gets_the_reason_as_json(county: dict[str, Any]) -> None:
    response = client_for(county["civil"]).post(
        reverse("exchange:upload", args=[HARDSHIP]),
        {"file": SimpleUploadedFile("x.csv", "序号\r\n1\r\n".encode()), "method": "intranet"},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 400
    assert response.json()["status"] == "refused"
    assert "缺少必需的列" in response.json()["message"]


def test_upload_by_script_answers_with_the_version_page(county: dict[str, Any]) -> None:
    token = "a" * 32
    response = client_for(county["civil"]).post(
        reverse("exchange:upload", args=[HARDSHIP]),
        {"file": SimpleUploadedFile("l.csv", list_csv(DIRTY)), "method": "intranet", "progress_token": token},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    submission = Submission.objects.get()
    assert response.json() == {
        "status": "done",
        "redirect": reverse("exchange:submission_detail", args=[submission.pk]),
    }
    # and the progress the page polls for says the processing is done
    progress = Client().get(reverse("exchange:progress", args=[token])).json()
    assert progress["stage"] == "done"
    assert progress["fraction"] == 1.0


def test_same_file_twice_shows_the_existing_version(county: dict[str, Any]) -> None:
    first = submitted(county)
    # when the same file comes again
    again = upload(county["civil"], list_csv(DIRTY))
    # then no second version is made and the clerk lands on the first one
    assert again.status_code == 302
    assert again["Location"] == reverse("exchange:submission_detail", args=[first.pk])
    assert Submission.objects.count() == 1


# --- reading ---------------------------------------------------------------------------------------------------


def test_consumer_sees_the_list_read_only_and_reading_is_logged(county: dict[str, Any]) -> None:
    submission = submitted(county)
    before = AccessLog.objects.count()
    # when the medical-insurance clerk (a consumer of the list) opens it
    response = client_for(county["medical"]).get(reverse("exchange:submission_detail", args=[submission.pk]))
    # then he reads it, marked read-only, with no approval he could give
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="card muted read-only"' in page
    assert not any(s["may_act"] for s in response.context["approvals"])
    assert 'class="approve-form"' not in page
    # and the reading of the rows is in the access log with his duty
    logged = AccessLog.objects.order_by("-pk")[: AccessLog.objects.count() - before]
    rows_log = [entry for entry in logged if entry.object_type == "exchange.submission_rows"]
    assert rows_log
    assert rows_log[0].duty == "enrolment"


def test_unit_without_the_duty_gets_not_found(county: dict[str, Any]) -> None:
    submission = submitted(county)
    response = client_for(county["publicity"]).get(reverse("exchange:submission_detail", args=[submission.pk]))
    assert response.status_code == 404


def test_id_numbers_are_masked_for_a_duty_that_does_not_need_them(county: dict[str, Any]) -> None:
    # given a consumer department whose duty does not need whole ID numbers
    submission = submitted(county)
    ds = Dataset.objects.get(code=HARDSHIP)
    ds.consumers = [*ds.consumers, "publicity"]
    ds.save(update_fields=["consumers"])
    # when its clerk reads the rows
    page = client_for(county["publicity"]).get(reverse("exchange:submission_detail", args=[submission.pk]))
    # then he sees masked numbers only
    text = page.content.decode()
    assert ident(1) not in text
    assert mask(ident(1)) in text


def test_error_report_downloads_and_is_logged_as_export(county: dict[str, Any]) -> None:
    submission = submitted(county)
    response = client_for(county["civil"]).get(reverse("exchange:errors_xlsx", args=[submission.pk]))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert AccessLog.objects.filter(action="export", object_type="exchange.submission_rows").exists()


def test_submission_lists_follow_the_duty(county: dict[str, Any]) -> None:
    submission = submitted(county)
    url = reverse("exchange:submission_list")
    # the provider and a consumer see it; a unit without the duty does not
    assert submission in client_for(county["civil"]).get(url).context["page"].object_list
    assert submission in client_for(county["medical"]).get(url).context["page"].object_list
    assert not client_for(county["publicity"]).get(url).context["page"].object_list
    # and the version history lists it
    history = client_for(county["civil"]).get(reverse("exchange:history", args=[HARDSHIP, "dept-civil"]))
    assert history.context["versions"] == [submission]


# --- approval --------------------------------------------------------------------------------------------------


def test_later_stage_is_disabled_until_the_earlier_is_done(county: dict[str, Any]) -> None:
    submission = submitted(county)
    # when the leader opens the pending list
    panel = (
        client_for(county["civil_leader"])
        .get(reverse("exchange:submission_detail", args=[submission.pk]))
        .context["approvals"]
    )
    # then the review is his to do and the signing waits
    assert [(s["key"], s["state"], s["may_act"]) for s in panel] == [
        ("review", "next", True),
        ("leader_sign", "waiting", False),
    ]
    # and signing first is refused, nothing recorded
    approve(county["civil_leader"], submission, "leader_sign", 2, scan=PDF)
    assert not Approval.objects.exists()


def test_approval_with_scan_puts_the_list_in_force(county: dict[str, Any]) -> None:
    submission = submitted(county)
    approve(county["civil"], submission, "review", 1)
    response = approve(county["civil_leader"], submission, "leader_sign", 2, scan=PDF)
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.IN_FORCE
    approval = Approval.objects.get(stage="leader_sign")
    assert approval.approved_by == county["civil_leader"]
    assert approval.scan_content_type == "application/pdf"


def test_staff_may_not_sign_for_the_leader(county: dict[str, Any]) -> None:
    submission = submitted(county)
    approve(county["civil"], submission, "review", 1)
    response = approve(county["civil"], submission, "leader_sign", 2, scan=PDF)
    assert response.status_code == 403
    assert not Approval.objects.filter(stage="leader_sign").exists()


def test_a_scan_that_is_not_pdf_or_image_is_refused(county: dict[str, Any]) -> None:
    submission = submitted(county)
    approve(county["civil"], submission, "review", 1)
    response = approve(county["civil_leader"], submission, "leader_sign", 2, scan=b"MZ\x90\x00not a pdf")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING_APPROVAL


def test_consumer_cannot_approve(county: dict[str, Any]) -> None:
    submission = submitted(county)
    response = approve(county["medical"], submission, "review", 1)
    assert response.status_code == 403
    assert not Approval.objects.exists()


# --- versions --------------------------------------------------------------------------------------------------


def test_second_version_shows_added_and_changed_persons(county: dict[str, Any]) -> None:
    # given version 1 in force
    first = submitted(county)
    approve(county["civil"], first, "review", 1)
    approve(county["civil_leader"], first, "leader_sign", 2, scan=PDF)
    # when version 2 adds a person and changes another's support mode
    second = submitted(county, [row(1, "王芳", mode="集中供养"), row(2, "阿卜杜拉·买买提"), row(4, "赵六")])
    response = client_for(county["civil"]).get(reverse("exchange:submission_detail", args=[second.pk]))
    # then the comparison lists both, with the field that changed
    changes = {c["kind"]: c for c in response.context["changes"]}
    assert changes["added"]["name"] == "赵六"
    assert [f["label"] for f in changes["changed"]["fields"]] == ["供养方式"]
    assert changes["changed"]["fields"][0]["after"] == "集中供养"
    # and the changes export as xlsx
    export = client_for(county["civil"]).get(reverse("exchange:changes_xlsx", args=[second.pk]))
    assert export.status_code == 200
    assert export.content[:2] == b"PK"
