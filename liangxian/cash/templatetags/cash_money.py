"""Money in the cash pages: integer fen shown as yuan, never through a float."""

from __future__ import annotations

from django import template

from liangxian.core.money import format_yuan, from_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Show fen as "¥1,234.50"."""
    return format_yuan(from_fen(int(fen or 0)))


@register.filter
def yuan_plain(fen: int | None) -> str:
    """Show fen as a plain amount to type or submit: "400.00"."""
    return f"{from_fen(int(fen or 0)):.2f}"
