"""The plot's series stays small however long the run, keeps extremes, and drops NaN and inf."""

from __future__ import annotations

import itertools

import numpy as np

from tui.widgets.loss_plot import compact_number, y_ticks
from tui.widgets.loss_series import CAPACITY, LossSeries


def test_a_million_iterations_keep_a_fixed_size_and_two_points_per_column() -> None:
    series = LossSeries()
    losses = np.linspace(1e6, 1.0, 1_000_000)
    losses[654_321] = 5e7  # a spike must survive the thinning
    for chunk in np.array_split(losses, 997):
        series.extend(chunk.tolist())
    assert series.count == 1_000_000
    assert series.filled <= CAPACITY and len(series.tail) < series.bucket
    x, y = series.points(80)
    assert len(x) == len(y) <= 160
    assert y.max() == 5e7 and y.min() == 1.0
    assert x[0] == 0 and x[-1] < 1_000_000


def test_nan_and_inf_are_left_out_and_log_drops_zero() -> None:
    series = LossSeries()
    series.extend([4.0, float("nan"), 2.0, float("inf"), 0.0, 1.0])
    _, y = series.points(80)
    assert np.isfinite(y).all() and set(y.tolist()) == {4.0, 2.0, 0.0, 1.0}
    _, y_log = series.points(80, positive_only=True)
    assert set(y_log.tolist()) == {4.0, 2.0, 1.0}


def test_tick_labels_stay_short() -> None:
    ticks, labels = y_ticks(3e-24, 4e7, log=True, count=4)
    assert labels[0] == "1e-24" and labels[-1] == "1e8" and len(labels) <= 4
    assert all(low < high for low, high in itertools.pairwise(ticks))
    assert [compact_number(v) for v in (12, 1500, 2_000_000)] == ["12", "1.5k", "2M"]
