"""What a plot draws: a bounded series keeping extremes, smoothing, wall-time x and short ticks."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from textual.app import App, ComposeResult

from engine.history import debiased_ema
from tui.widgets.axis_ticks import compact_number, y_ticks
from tui.widgets.loss_plot import LossPlot
from tui.widgets.loss_series import CAPACITY, LossSeries
from tui.widgets.plot_lines import Curve, PlotView, curve_lines

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
    assert x_labels[0] == "0" and x_labels[-1] in ("2k", "3k"), shown  # round: 3999 is no tick
    assert all(re.fullmatch(r"\d+(\.\d+)?k?", label) for label in x_labels), shown


def label_value(label: str) -> float:
    """An x tick label's value: '2.5k' -> 2500, '95s' -> 95, '1:05' -> 65, '1:00:05' -> 3605."""
    if ":" in label:
        return sum(float(part) * 60**i for i, part in enumerate(reversed(label.split(":"))))
    scale = {"k": 1e3, "M": 1e6, "s": 1.0}.get(label[-1], 1.0)
    return float(label.rstrip("kMs")) * scale


def x_axis_labels(plot: LossPlot) -> list[str]:
    """The labels on the row under the plot's x axis."""
    lines = [plot.render_line(y).text for y in range(plot.size.height)]
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[axis + 1].split()


@pytest.mark.parametrize(
    ("seconds", "by_time", "span"),
    [(68.0, True, 0.01), (110.0, True, 0.1), (110.0, True, 0.01), (1500.0, True, 0.01),
     (9000.0, True, 1.0), (600_000, False, 0.01)],
)  # fmt: skip
async def test_zoomed_x_ticks_are_round_distinct_and_evenly_spaced(seconds, by_time, span) -> None:  # type: ignore[no-untyped-def]
    series = LossSeries()
    count = 600_000  # iterations, evenly spread over the seconds
    losses, times = np.geomspace(100, 1, count), np.linspace(0, seconds, count)
    for part in np.array_split(np.arange(count), 50):
        series.extend(losses[part].tolist(), times[part].tolist())
    plot = LossPlot([Curve(series, (86, 182, 194))])
    plot.view = PlotView(by_time=by_time, span=span)
    async with OnePlot(plot).run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        labels = x_axis_labels(plot)
    shapes = r"\d+(\.\d+)?[kMs]?|\d+(:\d\d)+(\.\d+)?"  # 2.5k, 95.5s, 1:30, 1:02:30
    assert all(re.fullmatch(shapes, text) for text in labels), labels
    values = [label_value(text) for text in labels]
    steps = np.diff(values)
    assert len(labels) >= 4 and len(set(labels)) == len(labels), labels
    multiple = values[0] / steps[0]  # round values: each a whole number of steps
    assert np.allclose(steps, steps[0]) and abs(multiple - round(multiple)) < 1e-6, labels
