"""The handler notice PDF carries the village's handlers in Chinese and in Uyghur (Art 31)."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from liangxian.org import services
from liangxian.org.models import Unit, User
from liangxian.org.notice import handler_notice_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler_village(people: dict[str, User], units: dict[str, Unit]) -> Unit:
    village = units["653123100001"]
    services.village_handler_add(
        actor=people["specialist"],
        village=village,
        name="阿卜杜拉·买买提",
        post="协理员",
        phone="13999800301",
        duties="代收现金当日缴入",
        name_ug="ئابدۇللا مەمەت",
        post_ug="ھەق يىغىش ياردەمچىسى",
        duties_ug="نەق پۇلنى شۇ كۈنى تاپشۇرۇش",
    )
    return village


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # NFKC folds any Arabic presentation forms back to the letters they shape; line breaks in table cells
    # fall anywhere, so compare without whitespace.
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages))
    return "".join(text.split())


def squash(s: str) -> str:
    return "".join(s.split())


def test_notice_pdf_has_the_chinese_and_uyghur_text(handler_village: Unit) -> None:
    text = pdf_text(handler_notice_pdf(village=handler_village))

    assert "其兰巴格社区" in text
    assert "阿卜杜拉·买买提" in text and "13999800301" in text and "英吉沙镇" in text
    assert squash("ئابدۇللا مەمەت") in text
    # Wrapped cells of a right-to-left table come out interleaved, so look for each word of the post.
    assert all(word in text for word in ["ھەق", "يىغىش", "ياردەمچىسى"])
    # The labels come from the zh_Hans and ug catalogues, whatever the request's language.
    assert "社会保险经办人员公示" in text and "ئىسمى" in text


def test_notice_pdf_embeds_a_cjk_and_an_arabic_script_font(handler_village: Unit) -> None:
    reader = PdfReader(io.BytesIO(handler_notice_pdf(village=handler_village)))
    resources: Any = reader.pages[0]["/Resources"].get_object()
    fonts = {str(f.get_object()["/BaseFont"]) for f in resources["/Font"].get_object().values()}
    assert any("CJK" in f for f in fonts)
    assert any("DejaVu" in f or "Arabic" in f or "Naskh" in f for f in fonts)


def test_notice_pdf_url_serves_a_pdf(handler_village: Unit, people: dict[str, User]) -> None:
    c = Client()
    c.force_login(people["collector"])
    response = c.get("/org/villages/653123100001/handlers/notice.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
