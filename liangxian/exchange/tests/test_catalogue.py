"""The catalogue of lists as data, loaded idempotently, aligned with the demo's files (Art 10-17)."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from liangxian.exchange.catalogue import catalogue_entries, catalogue_load, dataset_resolve, deadline_for
from liangxian.exchange.models import Dataset

pytestmark = pytest.mark.django_db


def test_loading_twice_changes_nothing_the_second_time() -> None:
    first = catalogue_load()
    second = catalogue_load()
    assert first.created == len(catalogue_entries()) and first.updated == 0
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)


def test_lists_that_need_the_leaders_signature_are_civil_revital_and_disabled() -> None:
    catalogue_load()
    signed = set(Dataset.objects.filter(needs_approval=True).values_list("provider", flat=True))
    assert signed == {"civil", "revital", "disabled"}
    stages = Dataset.objects.get(code="civil_affairs.orphans").approval_stages
    assert [s["key"] for s in stages] == ["review", "leader_sign"] and stages[-1]["scan"] is True


def test_police_household_register_is_the_identity_authority() -> None:
    catalogue_load()
    assert list(Dataset.objects.filter(authority_for_identity=True).values_list("code", flat=True)) == [
        "public_security.deregistrations",
        "public_security.household_register",
    ]


def test_education_list_has_every_field_of_article_16() -> None:
    catalogue_load()
    keys = {c["key"] for c in Dataset.objects.get(code="education.students").columns}
    assert {
        "school_status",
        "id_type",
        "id_number",
        "name",
        "father_name",
        "mother_name",
        "guardian_name",
        "guardian_id_number",
        "phone",
    } <= keys


def test_demo_kind_alias_resolves() -> None:
    catalogue_load()
    assert dataset_resolve("rural_revitalisation.monitored_households").code == "rural_revitalisation.monitored"


@pytest.mark.parametrize(
    ("rule", "start", "period", "due"),
    [
        ({"kind": "before_start", "months": 1}, date(2026, 10, 1), None, date(2026, 9, 1)),
        ({"kind": "before_start", "months": 1}, date(2026, 3, 31), None, date(2026, 2, 28)),
        ({"kind": "before_start", "days": 15}, date(2026, 10, 1), None, date(2026, 9, 16)),
        ({"kind": "after_quarter_end", "days": 5}, None, date(2026, 2, 14), date(2026, 4, 5)),
        ({"kind": "set_by_county"}, date(2026, 10, 1), None, None),
    ],
)
def test_deadline_rules_as_data(rule: dict, start: date | None, period: date | None, due: date | None) -> None:
    assert deadline_for(rule, start=start, period_day=period) == due


def test_catalogue_headers_cover_the_demo_files_headers() -> None:
    # The demo writes these headers (liangxian/demo/files.py); every one must match a column of its list.
    written = {
        "public_security.household_register": [
            "户号",
            "姓名",
            "公民身份号码",
            "性别",
            "民族",
            "出生日期",
            "与户主关系",
            "乡镇（街道）",
            "村（社区）",
            "联系电话",
            "户口状态",
            "变动日期",
        ],
        "civil_affairs.special_hardship": [
            "序号",
            "乡镇",
            "村（社区）",
            "姓名",
            "身份证号码",
            "性别",
            "年龄",
            "供养方式",
            "备注",
        ],
        "civil_affairs.orphans": [
            "序号",
            "姓名",
            "身份证号码",
            "性别",
            "出生日期",
            "乡镇",
            "村（社区）",
            "监护人姓名",
            "类别",
        ],
        "civil_affairs.minimum_allowance": [
            "序号",
            "乡镇",
            "村（社区）",
            "户主姓名",
            "户主身份证号码",
            "家庭成员姓名",
            "身份证号码",
            "与户主关系",
            "保障人数",
            "类别",
        ],
        "rural_revitalisation.monitored": [
            "县",
            "乡镇",
            "行政村",
            "户编号",
            "监测对象类别",
            "户主姓名",
            "成员姓名",
            "证件号码",
            "与户主关系",
            "家庭人口数",
            "纳入监测时间",
        ],
        "disabled_persons_federation.certified": [
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "残疾证号",
            "残疾类别",
            "残疾等级",
            "乡镇",
            "村（社区）",
            "联系电话",
        ],
        "education.students": [
            "学校名称",
            "年级",
            "学生姓名",
            "身份证号码",
            "性别",
            "出生日期",
            "户籍所在地",
            "入学年份",
            "学籍状态",
        ],
        "township.village_survey": [
            "序号",
            "村（社区）",
            "户号",
            "姓名",
            "身份证号码",
            "性别",
            "与户主关系",
            "联系电话",
            "备注",
        ],
    }
    entries = {e["code"]: e for e in catalogue_entries()}
    for code, headers in written.items():
        names = {n: c["key"] for c in entries[code]["columns"] for n in (c["label"], *c.get("synonyms", []))}
        assert all(h in names for h in headers), code
        assert len({names[h] for h in headers}) == len(headers), code  # no two headers on one column


def test_catalogue_file_is_valid_json_with_unique_codes() -> None:
    from liangxian.exchange.catalogue import CATALOGUE_PATH

    codes = [d["code"] for d in orjson.loads(CATALOGUE_PATH.read_bytes())["datasets"]]
    assert len(codes) == len(set(codes)) and all(len(c) <= 40 for c in codes)
