"""Shares with their uncertainty, and the small-cell rule of the outcomes report (pure: no
Flask, no database).

- A share of patients gets a 95 % Wilson score interval (Wilson 1927; recommended over the
  "p ± 1.96·SE" interval for small n and shares near 0 or 1, where that one leaves [0, 1] or
  collapses to a point: Brown, Cai & DasGupta, Statistical Science 2001;16:101-33).
- A cell counting fewer than MIN_CELL patients is suppressed: shown as "fewer than 5", never
  its number or share, so a patient cannot be recognised from a small group. When a breakdown
  would leave exactly one such cell whose number could be worked out from the total and the
  other cells, the next smallest cell is suppressed too (`protect`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

#: z for a two-sided 95 % interval (the 97.5th percentile of the standard normal).
Z95 = 1.959963984540054
#: Cells counting fewer patients than this are suppressed.
MIN_CELL = 5
SUPPRESSED_WORDS = f"fewer than {MIN_CELL}"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of successes/n: (low, high), both within [0, 1].

    centre = (p + z²/2n) / (1 + z²/n); half width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
    """
    if n <= 0:
        raise ValueError("a share needs at least one patient")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # at 0 and n the bound is exactly 0 or 1; rounding must not move it past
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Share:
    """How many of n patients met something, with its 95 % interval, or suppressed."""

    met: int
    n: int
    low: float | None = None
    high: float | None = None
    suppressed: bool = False

    @property
    def share(self) -> float | None:
        """met / n, or None when suppressed or nobody was counted."""
        return None if self.suppressed or not self.n else self.met / self.n

    @property
    def shown(self) -> bool:
        """Whether the numbers may be shown (counted patients, and not suppressed)."""
        return self.n > 0 and not self.suppressed

    def percent_text(self) -> str:
        """'62 %' (empty when not shown)."""
        return percent(self.share) if self.shown else ""

    def interval_text(self) -> str:
        """'45–77 %' (empty when not shown)."""
        return interval_words(self.low, self.high) if self.shown else ""

    def words(self) -> str:
        """'62 % (45–77 %), 21 of 34'; 'fewer than 5'; 'none yet'."""
        if self.suppressed:
            return SUPPRESSED_WORDS
        if not self.n:
            return "none yet"
        return (
            f"{percent(self.share)} ({interval_words(self.low, self.high)}), {self.met} of {self.n}"
        )


def share(met: int, n: int, min_cell: int = MIN_CELL) -> Share:
    """A share with its Wilson interval; suppressed when 0 < n < min_cell."""
    if n <= 0:
        return Share(0, 0)
    if n < min_cell:
        return Share(0, n, suppressed=True)
    low, high = wilson(met, n)
    return Share(met, n, low, high)


def suppressed(cell: Share) -> Share:
    """The cell with its numbers hidden (its n is kept only for `protect`; never shown)."""
    return replace(cell, met=0, low=None, high=None, suppressed=True)


def protect(cells: Sequence[Share], total_shown: bool = True) -> list[Share]:
    """The cells of one breakdown (they add up to a total that is shown), with secondary
    suppression: when exactly one cell is suppressed for counting 1-4 patients, the total
    minus the others would give it away, so the smallest other cell with patients is
    suppressed as well. (A cell of 0 patients gives nobody away.)"""
    result = list(cells)
    if not total_shown:
        return result
    hidden = [i for i, cell in enumerate(result) if cell.suppressed and cell.n > 0]
    if len(hidden) != 1:
        return result
    others = [i for i, cell in enumerate(result) if not cell.suppressed and cell.n > 0]
    if others:
        smallest = min(others, key=lambda i: (result[i].n, i))
        result[smallest] = suppressed(result[smallest])
    return result


def whole_percent(value: float) -> int:
    """0.625 -> 63 (halves round up, as people expect; Python's round() would give 62)."""
    return math.floor(value * 100 + 0.5)


def percent(value: float | None) -> str:
    """0.625 -> '63 %' (None -> '')."""
    return "" if value is None else f"{whole_percent(value)} %"


def interval_words(low: float | None, high: float | None) -> str:
    """'45–77 %'."""
    if low is None or high is None:
        return ""
    return f"{whole_percent(low)}–{whole_percent(high)} %"
