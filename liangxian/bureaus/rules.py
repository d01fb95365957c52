"""Pure rules of the monthly comparison (Art 36): which causes account for a difference."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations


def explain(difference_fen: int, causes: Sequence[tuple[str, int]]) -> tuple[set[str], int]:
    """Choose the causes that account for a difference; return them and what is left unexplained.

    Each cause is a candidate the data shows (a code and its signed amount). The bureau may already hold some
    of them, so the chosen set is the one whose amounts come nearest the difference: an exact match first, then
    the fewest causes, then the earlier causes in the given order. Nothing is chosen when no set comes nearer
    than none at all.
    """
    best: tuple[int, int, tuple[int, ...]] = (abs(difference_fen), 0, ())
    indexed = [(i, amount) for i, (_, amount) in enumerate(causes) if amount != 0]
    for size in range(1, len(indexed) + 1):
        for combo in combinations(indexed, size):
            left = abs(difference_fen - sum(a for _, a in combo))
            key = (left, size, tuple(i for i, _ in combo))
            if key < best:
                best = key
    chosen = {causes[i][0] for i in best[2]}
    explained = sum(amount for code, amount in causes if code in chosen)
    return chosen, difference_fen - explained
