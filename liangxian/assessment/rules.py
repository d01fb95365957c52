"""The arithmetic of the assessment (Art 38): ratios, points, totals and ranks; values in, values out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def ratio(numerator: int, denominator: int, *, empty: Decimal = Decimal(1)) -> Decimal:
    """Return numerator / denominator within 0..1; ``empty`` when nothing was due."""
    if denominator <= 0:
        return empty
    return min(max(Decimal(numerator) / Decimal(denominator), Decimal(0)), Decimal(1))


def points(weight: int, share: Decimal) -> Decimal:
    """Return the points a criterion of ``weight`` earns at ``share`` (0..1), to the cent."""
    return (Decimal(weight) * share).quantize(CENT, rounding=ROUND_HALF_UP)


def total(weights: Mapping[str, int], shares: Mapping[str, Decimal]) -> Decimal:
    """Return the score out of 100: the weighted shares over the sum of the weights, to the cent."""
    weight_sum = sum(w for c, w in weights.items() if c in shares)
    if weight_sum <= 0:
        return Decimal(0).quantize(CENT)
    earned = sum((Decimal(w) * shares[c] for c, w in weights.items() if c in shares), Decimal(0))
    return (earned * HUNDRED / Decimal(weight_sum)).quantize(CENT, rounding=ROUND_HALF_UP)


def ranks(totals: Sequence[Decimal]) -> list[int]:
    """Rank scores, highest first; equal scores share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(totals, reverse=True)
    first: dict[Decimal, int] = {}
    for i, value in enumerate(ordered, start=1):
        first.setdefault(value, i)
    return [first[t] for t in totals]


def pct(share: Decimal) -> str:
    """Show a share as a percentage with one decimal."""
    return f"{(share * HUNDRED).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
