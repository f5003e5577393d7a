"""What a plot draws: a bounded series keeping extremes, smoothing, wall-time x and short ticks."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from textual.app import App, ComposeResult

from engine.history import debiased_ema
from tui.widgets.loss_plot import LossPlot
from tui.widgets.loss_series import CAPACITY, LossSeries
from tui.widgets.plot_lines import Curve, PlotView, compact_number, curve_lines, y_ticks

LINEAR = PlotView(log_scale=False)


def drawn(series: LossSeries, view: PlotView = LINEAR, columns: int = 80):  # type: ignore[no-untyped-def]
    return curve_lines(Curve(series, (200, 200, 200), "numpy"), view, columns)


def test_a_million_iterations_keep_a_fixed_size_and_two_points_per_column() -> None:
    series = LossSeries()
    losses = np.linspace(1e6, 1.0, 1_000_000)
    losses[654_321] = 5e7  # a spike must survive the thinning
    for chunk in np.array_split(losses, 997):
        series.extend(chunk.tolist())
    assert series.count == 1_000_000
    assert series.filled <= CAPACITY and len(series.tail) < series.bucket
    [line] = drawn(series)
    assert len(line.x) == len(line.y) <= 160
    assert line.y.max() == 5e7 and line.y.min() == 1.0
    assert line.x[0] == 0 and line.x[-1] < 1_000_000


def test_nan_and_inf_are_left_out_and_log_drops_zero() -> None:
    series = LossSeries()
    series.extend([4.0, float("nan"), 2.0, float("inf"), 0.0, 1.0])
    [line] = drawn(series)
    assert np.isfinite(line.y).all() and set(line.y.tolist()) == {4.0, 2.0, 0.0, 1.0}
    [log_line] = drawn(series, PlotView(log_scale=True))
    assert set(log_line.y.tolist()) == {4.0, 2.0, 1.0}


def test_debiased_ema_matches_the_hand_computed_values() -> None:
    # weight 0.6: ema 0.4, 1.04, 1.824, divided by 1 - 0.6**k = 0.4, 0.64, 0.784
    assert debiased_ema([1.0, 2.0, 3.0], 0.6) == pytest.approx([1.0, 1.625, 1.824 / 0.784])
    # a non-finite value is shown as a gap and does not move the average
    smoothed = debiased_ema([1.0, float("nan"), 2.0], 0.6)
    assert smoothed[0] == 1.0 and np.isnan(smoothed[1]) and smoothed[2] == pytest.approx(1.625)


def test_smoothing_draws_the_ema_over_the_raw_curve_made_faint() -> None:
    series = LossSeries()
    losses = [5.0, 1.0, 4.0, 2.0, 3.0]
    series.extend(losses)
    raw, smooth = drawn(series, PlotView(log_scale=False, smoothing=0.9))
    assert smooth.label == "numpy" and raw.label == ""
    assert max(raw.colour) < 200 == max(smooth.colour)  # raw faint behind the smoothed line
    assert smooth.y.tolist() == pytest.approx(debiased_ema(losses, 0.9).tolist())
    assert smooth.y[0] == 5.0  # debiased: the first point is not dragged toward 0


def test_x_by_wall_time_uses_each_points_seconds_and_a_log_keeps_its_stride() -> None:
    series = LossSeries()
    series.extend([3.0, 2.0, 1.0], times=[0.5, 1.5, 4.0])
    [line] = drawn(series, PlotView(log_scale=False, by_time=True))
    assert sorted(set(line.x.tolist())) == [0.5, 1.5, 4.0]
    logged = LossSeries(stride=10)  # a run log keeps every 10th iteration
    logged.extend([3.0, 2.0, 1.0])
    [line] = drawn(logged)
    assert sorted(set(line.x.tolist())) == [0.0, 10.0, 20.0]


def test_tick_labels_stay_short() -> None:
    ticks, labels = y_ticks(3e-24, 4e7, log=True, count=4)
    assert labels[0] == "1e-23" and labels[-1] == "1e7" and len(labels) <= 4  # within the data
    assert all(low < high for low, high in itertools.pairwise(ticks))
    assert [compact_number(v) for v in (12, 1500, 2_000_000)] == ["12", "1.5k", "2M"]


class OnePlot(App[None]):
    def __init__(self, plot: LossPlot) -> None:
        super().__init__()
        self.plot = plot

    def compose(self) -> ComposeResult:
        yield self.plot


@pytest.mark.parametrize("size", [(35, 7), (55, 13)])
async def test_a_loss_spanning_decades_labels_its_y_axis_and_nothing_else(size) -> None:  # type: ignore[no-untyped-def]
    series = LossSeries()
    series.extend(np.geomspace(1500, 80, 4000).tolist())  # 1e2 and 1e3 in range, 1e1, 1e4 not
    plot = LossPlot([Curve(series, (86, 182, 194))])
    async with OnePlot(plot).run_test(size=size) as pilot:
        await pilot.pause()
        shown = [plot.render_line(y).text for y in range(plot.size.height)]
    y_labels = [found.group(1) for line in shown if (found := re.match(r" *(\S+)┤", line))]
    assert y_labels == ["1e3", "1e2"], shown
    x_labels = shown[-1].split()
    assert x_labels[0] == "0" and x_labels[-1] == "4k", shown
    assert all(re.fullmatch(r"\d+(\.\d+)?k?", label) for label in x_labels), shown
