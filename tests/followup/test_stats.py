"""Wilson intervals and small-cell suppression (pure), against values worked by hand.

Wilson score interval, z = 1.959964 (z² = 3.841459):
    centre = (p + z²/2n) / (1 + z²/n)
    half   = z · √(p(1 − p)/n + z²/4n²) / (1 + z²/n)

8/10: p = 0.8; 1 + z²/n = 1.3841459; p + z²/2n = 0.8 + 0.1920729 = 0.9920729
      centre = 0.9920729 / 1.3841459 = 0.7167394
      √(0.016 + 0.0096036) = √0.0256036 = 0.1600114; half = 1.959964 × 0.1600114 / 1.3841459
      = 0.2265776  ->  0.4901618 .. 0.9433170
0/5:  p = 0; 1 + z²/n = 1.7682918; p + z²/2n = 0.3841459; centre = 0.2172408
      √(0 + 3.841459/100) = 0.1959964; half = 0.3841459 / 1.7682918 = 0.2172408
      ->  0 .. 0.4344816
5/5:  the mirror image of 0/5  ->  0.5655184 .. 1
1/2:  p = 0.5; 1 + z²/n = 2.9207295; centre = (0.5 + 0.9603648) / 2.9207295 = 0.5
      √(0.125 + 0.2400912) = 0.6042277; half = 1.959964 × 0.6042277 / 2.9207295 = 0.4054680
      ->  0.0945320 .. 0.9054680
"""

from __future__ import annotations

import pytest

from intake.followup import stats


@pytest.mark.parametrize(
    ("met", "n", "low", "high"),
    [
        (8, 10, 0.4901618, 0.9433170),
        (0, 5, 0.0, 0.4344816),
        (5, 5, 0.5655184, 1.0),
        (1, 2, 0.0945320, 0.9054680),
    ],
)
def test_wilson_interval_matches_the_hand_worked_values(met, n, low, high):
    got_low, got_high = stats.wilson(met, n)
    assert got_low == pytest.approx(low, abs=1e-6)
    assert got_high == pytest.approx(high, abs=1e-6)


def test_wilson_interval_is_never_outside_zero_and_one_and_contains_the_share():
    for n in range(1, 60):
        for met in range(n + 1):
            low, high = stats.wilson(met, n)
            assert 0.0 <= low <= met / n <= high <= 1.0


@pytest.mark.parametrize(("met", "n"), [(0, 0), (3, 2), (-1, 4)])
def test_wilson_refuses_impossible_counts(met, n):
    with pytest.raises(ValueError):
        stats.wilson(met, n)


def test_words_round_halves_up_and_show_the_counts():
    cell = stats.share(8, 10)
    assert cell.words() == "80 % (49–94 %), 8 of 10"
    assert stats.percent(0.625) == "63 %"  # Python's round() would give 62
    assert stats.share(0, 0).words() == "none yet"


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_fewer_than_five_patients_are_suppressed(n):
    cell = stats.share(n, n)
    assert cell.suppressed and not cell.shown
    assert cell.share is None and cell.low is None and cell.high is None and cell.met == 0
    assert cell.words() == "fewer than 5"


def test_five_patients_are_shown():
    cell = stats.share(5, 5)
    assert cell.shown and cell.share == 1.0


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it():
    # total 20 shown: 12 + 5 + 3; the 3 alone could be worked out as 20 - 12 - 5
    cells = stats.protect([stats.share(6, 12), stats.share(2, 5), stats.share(1, 3)])
    assert [c.suppressed for c in cells] == [False, True, True]
    assert cells[1].share is None and cells[1].words() == "fewer than 5"


def test_two_suppressed_cells_or_an_empty_one_need_nothing_more():
    two = stats.protect([stats.share(6, 12), stats.share(1, 3), stats.share(1, 2)])
    assert [c.suppressed for c in two] == [False, True, True]
    empty = stats.protect([stats.share(6, 12), stats.share(3, 8), stats.share(0, 0)])
    assert [c.suppressed for c in empty] == [False, False, False]
    # an empty cell beside one suppressed cell: the suppressed one is still exposed
    exposed = stats.protect([stats.share(6, 12), stats.share(0, 0), stats.share(1, 3)])
    assert [c.suppressed for c in exposed] == [True, False, True]


def test_nothing_to_protect_when_the_total_is_not_shown():
    cells = [stats.share(6, 12), stats.share(1, 3)]
    assert stats.protect(cells, total_shown=False) == cells
