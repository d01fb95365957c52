"""Division codes and loading the NBS table (Yengisar County 653123 within Kashgar Prefecture)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from liangxian.core.divisions import (
    COUNTY_EDIT_SOURCE,
    DIVISIONS_SOURCE,
    DivisionLoadError,
    county_of,
    division_save,
    divisions_load,
    known_county_codes,
    level_of_code,
    parent_of,
    township_of,
)
from liangxian.core.models import AuditEvent, Division
from liangxian.org.models import User

YENGISAR = "653123"


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("65", "province"),
        ("6531", "prefecture"),
        ("653123", "county"),
        ("653123201", "township"),
        ("653123201001", "village"),
    ],
)
def test_level_of_code_follows_the_code_length(code: str, level: str) -> None:
    assert level_of_code(code) == level


@pytest.mark.parametrize("code", ["", "6531231", "65312320100X", "６５３１２３"])
def test_level_of_code_refuses_malformed_codes(code: str) -> None:
    with pytest.raises(ValueError):
        level_of_code(code)


def test_county_township_and_parent_of_a_village_code() -> None:
    assert county_of("653123201001") == "653123"
    assert township_of("653123201001") == "653123201"
    assert parent_of("653123201001") == "653123201"
    assert parent_of("65") is None
    assert township_of("653123") is None and county_of("6531") is None


def test_an_id_number_area_prefix_gives_its_county() -> None:
    assert county_of("653123199001011234") == "653123"


@pytest.mark.django_db
def test_loading_yengisar_gives_15_township_level_units_and_198_villages() -> None:
    # when
    result = divisions_load(actor=None, county=YENGISAR)
    # then
    county = Division.objects.get(code=YENGISAR)
    assert county.name == "英吉沙县" and county.source == DIVISIONS_SOURCE
    assert Division.objects.filter(level="township", parent=county).count() == 15
    assert Division.objects.filter(level="village", code__startswith=YENGISAR).count() == 198
    assert Division.objects.get(code="653123100").name == "英吉沙镇"
    assert Division.objects.get(code="653123401").name == "英吉沙工业园区"
    assert Division.objects.get(code="65").name == "新疆维吾尔自治区"
    assert Division.objects.get(code="6531").parent_id == "65"
    assert result.created == 1 + 1 + 1 + 15 + 198
    assert known_county_codes() == frozenset({YENGISAR})


@pytest.mark.django_db
def test_loading_all_of_kashgar_is_idempotent_and_audited_once() -> None:
    # when
    first = divisions_load(actor=None)
    second = divisions_load(actor=None)
    # then
    assert first.created == Division.objects.count() == 3109  # 3108 rows of the file and the province
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3109)
    assert len(known_county_codes()) == 12
    event = AuditEvent.objects.get(action="divisions.load")
    assert event.payload["sha256"] == first.file_sha256 and len(first.file_sha256) == 64
    assert event.payload["source"] == DIVISIONS_SOURCE


@pytest.mark.django_db
def test_a_reload_keeps_the_countys_edit_unless_told_to_overwrite() -> None:
    # given the civil affairs bureau renamed a village in the admin
    divisions_load(actor=None, county=YENGISAR)
    editor = User.objects.create_user(username="civil1", password="pw-123456789", role="staff")
    village = Division.objects.get(code="653123100001")
    original = village.name
    village.name = "其兰巴格社区（新）"
    division_save(actor=editor, division=village, changed_fields=["name"])
    # when
    kept = divisions_load(actor=None, county=YENGISAR)
    # then
    village.refresh_from_db()
    assert village.name == "其兰巴格社区（新）" and village.source.startswith(COUNTY_EDIT_SOURCE)
    assert kept.kept_edits == 1
    assert AuditEvent.objects.filter(action="division.change", object_id="653123100001").exists()
    # when overwritten
    divisions_load(actor=None, county=YENGISAR, overwrite_edits=True)
    village.refresh_from_db()
    assert village.name == original and village.source == DIVISIONS_SOURCE


@pytest.mark.django_db
def test_a_renamed_division_in_a_new_file_is_updated(tmp_path: Path) -> None:
    # given
    divisions_load(actor=None, county=YENGISAR)
    path = tmp_path / "d.csv"
    path.write_text("code,name,level,parent\n6531,喀什地区,prefecture,65\n653123,英吉沙县（改）,county,6531\n")
    # when
    result = divisions_load(actor=None, path=path)
    # then
    assert result.updated == 1 and Division.objects.get(code=YENGISAR).name == "英吉沙县（改）"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    [
        "653123,英吉沙县,township,6531",  # level contradicts the code length
        "653123,英吉沙县,county,6532",  # parent is not the code's prefix
        "65312X,英吉沙县,county,6531",  # not digits
        "653123,,county,6531",  # no name
    ],
)
def test_a_file_with_a_bad_row_is_rejected_whole(tmp_path: Path, row: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"code,name,level,parent\n6531,喀什地区,prefecture,65\n{row}\n")
    with pytest.raises(DivisionLoadError) as caught:
        divisions_load(actor=None, path=path)
    assert caught.value.code == "division_file_invalid"
    assert Division.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_county_is_refused() -> None:
    with pytest.raises(DivisionLoadError) as caught:
        divisions_load(actor=None, county="659999")
    assert caught.value.code == "division_county_unknown"


@pytest.mark.django_db
def test_the_command_loads_one_county() -> None:
    out = StringIO()
    call_command("divisions", "load", "--county", YENGISAR, stdout=out)
    assert Division.objects.filter(code__startswith=YENGISAR).count() == 1 + 15 + 198
    assert "214" in out.getvalue() or "216" in out.getvalue()


@pytest.mark.django_db
def test_the_admin_edits_divisions_but_shows_the_audit_log_read_only() -> None:
    # given
    divisions_load(actor=None, county=YENGISAR)
    admin = User.objects.create_superuser(username="root", password="pw-123456789", email="r@example.org")
    client = Client()
    client.force_login(admin)
    # when / then
    assert client.get("/admin/core/division/653123/change/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    event = AuditEvent.objects.first()
    assert event is not None
    response = client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and AuditEvent.objects.filter(pk=event.pk).exists()
    assert client.get("/admin/core/accesslog/add/").status_code == 403
