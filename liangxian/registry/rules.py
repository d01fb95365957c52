"""Pure rules of the register: how list values map to register values, who may approve what (SPEC section 4)."""

from __future__ import annotations

import re
from typing import Final

# Public security is the authority for identity and status (Art 12): these fields change only through its lists
# or through a correction approved by it.
IDENTITY_FIELDS: Final = frozenset(
    {"id_type", "id_number", "name", "sex", "birth_date", "village_code", "status", "status_date"}
)
# Contact and household details a medical-insurance or social-security officer may correct as well.
OTHER_FIELDS: Final = frozenset({"phone", "relation"})
CORRECTABLE_FIELDS: Final = IDENTITY_FIELDS | OTHER_FIELDS
IDENTITY_APPROVERS: Final = frozenset({"police"})
OTHER_APPROVERS: Final = frozenset({"police", "medical", "social"})
APPROVER_ROLES: Final = frozenset({"leader", "staff"})

STATUS_WORDS: Final[dict[str, str]] = {
    "active": "active",
    "正常": "active",
    "在册": "active",
    "户籍正常": "active",
    "deceased": "deceased",
    "死亡": "deceased",
    "死亡注销": "deceased",
    "已死亡": "deceased",
    "moved_away": "moved_away",
    "迁出": "moved_away",
    "迁出注销": "moved_away",
    "已迁出": "moved_away",
    "户口迁出": "moved_away",
    # Deregistrations on settling abroad or joining the army close the household registration as a move away does.
    "出国（境）定居": "moved_away",
    "出国(境)定居": "moved_away",
    "出国定居": "moved_away",
    "参军入伍": "moved_away",
}
SEX_WORDS: Final[dict[str, str]] = {
    "M": "M",
    "F": "F",
    "男": "M",
    "女": "F",
    "男性": "M",
    "女性": "F",
    "1": "M",
    "2": "F",
}
DOCUMENT_WORDS: Final[dict[str, str]] = {
    "resident_id": "resident_id",
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "passport": "passport",
    "护照": "passport",
    "permanent_residence": "permanent_residence",
    "外国人永久居留身份证": "permanent_residence",
    "hk_macao_residence": "hk_macao_residence",
    "港澳居民居住证": "hk_macao_residence",
    "taiwan_residence": "taiwan_residence",
    "台湾居民居住证": "taiwan_residence",
}

# Escalation goes one level up at a time (Art 12): county → prefecture → autonomous region → national.
LEVELS: Final = ("county", "prefecture", "region", "national")

_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EVIDENCE_MAX_BYTES: Final = 10 * 1024 * 1024


def status_of(text: str | None) -> str | None:
    """Return the register status a list's status wording means, or None if it says none."""
    if not text:
        return None
    return STATUS_WORDS.get(text.strip())


def sex_of(text: str | None) -> str | None:
    """Return M or F for a list's sex wording, or None."""
    if not text:
        return None
    return SEX_WORDS.get(text.strip())


def document_type_of(text: str | None) -> str:
    """Return the document type a list names; a resident ID card when it names none or one unknown."""
    if not text:
        return "resident_id"
    return DOCUMENT_WORDS.get(text.strip(), "resident_id")


def short_village(name: str) -> str:
    """Return a village's name as the bureaus write it: 村委会 as 村, 社区居委会 or 居委会 as 社区."""
    name = re.sub(r"\s+", "", name)
    name = re.sub(r"(社区)?居委会$", "社区", name)
    return re.sub(r"村委会$", "村", name)


def next_level(level: str) -> str | None:
    """Return the level a verification request goes to when this one cannot answer, or None at the top."""
    try:
        at = LEVELS.index(level)
    except ValueError:
        return None
    return LEVELS[at + 1] if at + 1 < len(LEVELS) else None


def level_of_division(code: str) -> str:
    """Return the level a unit works at from its division code: 2 digits a region, 4 a prefecture, else county."""
    if len(code) == 2:
        return "region"
    if len(code) == 4:
        return "prefecture"
    if len(code) < 2:
        return "national"
    return "county"


def approver_departments(fields: set[str] | frozenset[str]) -> frozenset[str]:
    """Return the departments whose staff may approve a correction of these fields (identity: police only)."""
    return IDENTITY_APPROVERS if fields & IDENTITY_FIELDS else OTHER_APPROVERS


def evidence_type(head: bytes) -> str | None:
    """Return the content type of a scanned page from its first bytes (PDF, PNG or JPEG), or None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None
