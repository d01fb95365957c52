"""Template filters of the campaign pages."""

from __future__ import annotations

from django import template

from liangxian.core.money import from_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Show integer fen as yuan with two places (40000 → 400.00); empty for None."""
    if fen is None or fen == "":
        return ""
    return str(from_fen(int(fen)))
