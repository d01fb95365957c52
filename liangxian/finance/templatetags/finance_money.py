"""Fen as yuan on finance's pages (exact: integer fen to Decimal)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from liangxian.core.money import format_yuan

register = template.Library()


@register.filter
def fyuan(fen: int | None) -> str:
    """12345 → "¥123.45"; None → "—"."""
    if fen is None or fen == "":
        return "—"
    return format_yuan(Decimal(int(fen)).scaleb(-2))


@register.filter
def fyuan_plain(fen: int | None) -> str:
    """12345 → "123.45" (for form fields)."""
    if fen is None:
        return ""
    return str(Decimal(int(fen)).scaleb(-2))
