"""Articles are cited the way the measures number them, and every party has duties to show."""

from __future__ import annotations

import pytest
from django.utils import translation

from liangxian.web.duties import DUTIES, article_label, chinese_number
from liangxian.web.tests.roles import EXPECTED_HOME


@pytest.mark.parametrize(
    ("n", "chinese"), [(1, "一"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (29, "二十九"), (45, "四十五")]
)
def test_chinese_number_writes_article_numbers_as_the_measures_do(n: int, chinese: str) -> None:
    assert chinese_number(n) == chinese


def test_article_label_follows_the_language() -> None:
    with translation.override("zh-hans"):
        assert article_label(27) == "第二十七条"
    with translation.override("en"):
        assert article_label(27) == "Art 27"


def test_every_home_page_but_the_empty_one_lists_duties() -> None:
    assert set(EXPECTED_HOME.values()) <= set(DUTIES)
    assert all(DUTIES[key] for key in EXPECTED_HOME.values())
    assert all(1 <= duty.article <= 45 for duties in DUTIES.values() for duty in duties)
