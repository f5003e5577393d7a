"""Provides the loss plot: a textual-plotext widget drawing one or more loss series, and how."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from engine.history import debiased_ema
from tui.widgets.loss_series import LossSeries

PLOT_SECONDS = 1.0
SMOOTHING_STEPS = (0.0, 0.6, 0.9, 0.99)  # what s cycles through
Colour = tuple[int, int, int]
TRAINER_COLOURS: dict[str, Colour] = {"numpy": (86, 182, 194), "torch-manual": (229, 152, 75),
                                      "torch-autograd": (198, 120, 221),
                                      "torch-optim": (152, 195, 121)}  # fmt: skip
GHOST_COLOUR: Colour = (105, 105, 105)


@dataclass(frozen=True)
class PlotView:
    """How every plot draws: y scale, x axis and smoothing (keys l, x and s change it)."""

    log_scale: bool = True
    by_time: bool = False
    smoothing: float = 0.0


@dataclass(frozen=True)
class Curve:
    """One series to draw, its colour, and its legend label ("" for none)."""

    series: LossSeries
    colour: Colour
    label: str = ""


@dataclass(frozen=True)
class Line:
    """Points ready for plotext."""

    x: np.ndarray
    y: np.ndarray
    colour: Colour
    label: str


def y_ticks(low: float, high: float, log: bool, count: int) -> tuple[list[float], list[str]]:
    """Short tick labels: powers of ten on a log scale, 3 significant digits on a linear one."""
    count = max(2, count)
    if not log:
        ticks = np.linspace(low, high, count).tolist() if high > low else [low]
        return ticks, [f"{tick:.3g}" for tick in ticks]
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    powers = sorted({round(power) for power in np.linspace(first, last, count)})
    return [10.0**power for power in powers], [f"1e{power}" for power in powers]


def x_ticks(last: float, count: int, seconds: bool = False) -> tuple[list[float], list[str]]:
    """Iterations (1.5k, 2M) or seconds (12s, 3.5m) from 0 to the last, labelled compactly."""
    ticks = np.linspace(0, last, max(2, count)).tolist()
    if seconds:
        return ticks, [seconds_label(tick) for tick in ticks]
    whole = sorted({round(tick) for tick in ticks})
    return [float(tick) for tick in whole], [compact_number(tick) for tick in whole]


def compact_number(value: int) -> str:
    """12 -> '12', 1500 -> '1.5k', 2_000_000 -> '2M'."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


def seconds_label(seconds: float) -> str:
    """0.25 -> '0.25s', 90 -> '1.5m', 7200 -> '2h'."""
    for size, suffix in ((3600, "h"), (60, "m")):
        if seconds >= 2 * size:
            return f"{seconds / size:.2g}{suffix}"
    return f"{seconds:.2g}s"


def group_starts(count: int, columns: int) -> np.ndarray:
    """Where each of about `columns` groups of `count` points begins."""
    groups = max(1, min(columns, count))
    return np.linspace(0, count, groups + 1).astype(int)[:-1]


def curve_lines(curve: Curve, view: PlotView, columns: int) -> list[Line]:
    """A curve as lines: its min/max envelope, and with smoothing its EMA over the raw, faint."""
    points = curve.series.stored()
    if not len(points.mean):
        return []
    x = points.times if view.by_time else points.iters.astype(np.float64)
    starts = group_starts(len(x), columns)
    raw_x = np.repeat(x[starts], 2)
    extremes = np.column_stack(
        [np.fmax.reduceat(points.hi, starts), np.fmin.reduceat(points.lo, starts)]
    )
    # max then min, then min then max: the line runs down a column's span, along to the next,
    # up that one: one stroke a column instead of two (plotext 20-33% faster, noisy losses)
    extremes[1::2] = extremes[1::2, ::-1]
    raw_y = extremes.ravel()
    if not view.smoothing:
        return [_drawable(Line(raw_x, raw_y, curve.colour, curve.label), view)]
    ends = np.append(starts[1:], len(x)) - 1
    smooth_y = debiased_ema(points.mean, view.smoothing)[ends]
    red, green, blue = curve.colour
    faint = (red // 3 + 40, green // 3 + 40, blue // 3 + 40)
    return [
        _drawable(Line(raw_x, raw_y, faint, ""), view),
        _drawable(Line(x[ends], smooth_y, curve.colour, curve.label), view),
    ]


def _drawable(line: Line, view: PlotView) -> Line:
    keep = np.isfinite(line.x) & np.isfinite(line.y) & ((line.y > 0) if view.log_scale else True)
    return Line(line.x[keep], line.y[keep], line.colour, line.label)


class LossPlot(PlotextPlot):
    """Loss by iteration or time, log-scale by default, thinned to ~2 points a column."""

    def __init__(self, curves: list[Curve], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves = curves
        self.view = PlotView()
        self.painted_versions: tuple[int, ...] = ()
        self.painted = 0.0  # when the last repaint was scheduled (monotonic seconds)

    def show(self, curves: list[Curve] | None = None, view: PlotView | None = None) -> None:
        """Draws other curves, or the same ones another way (at once: the user asked)."""
        self.curves = self.curves if curves is None else curves
        self.view = self.view if view is None else view
        self.refresh()

    def repaint_if_changed(self) -> None:
        """Schedules a repaint when a series changed, once a second at most.

        A figure costs ~10 ms to rebuild here, and the trainers pay for it in CPU.
        """
        now = time.monotonic()
        versions = tuple(curve.series.version for curve in self.curves)
        if versions != self.painted_versions and now - self.painted >= PLOT_SECONDS:
            self.painted_versions, self.painted = versions, now
            self.refresh()

    def replot(self) -> None:
        """Builds the whole figure from the series.

        plotext takes log10 of its stored data in place, so drawing the same stored data twice
        on a log scale breaks; every render therefore starts from the widget's own series.
        """
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.size.height >= 14:  # below that the rows are worth more to the curve
            plt.xlabel("seconds" if self.view.by_time else "iteration")
        columns = max(8, self.size.width)
        lines = [line for curve in self.curves for line in curve_lines(curve, self.view, columns)]
        lines = [line for line in lines if len(line.x)]
        if not lines:  # plotext's log scale fails on an empty figure
            return
        plt.yscale("log" if self.view.log_scale else "linear")
        for line in lines:
            plt.plot(line.x.tolist(), line.y.tolist(), marker="braille", color=line.colour,
                     label=line.label or None)  # fmt: skip
        y = np.concatenate([line.y for line in lines])
        plt.yticks(*y_ticks(float(y.min()), float(y.max()), self.view.log_scale,
                            self.size.height // 3))  # fmt: skip
        last = max(float(line.x.max()) for line in lines)
        plt.xticks(*x_ticks(last, self.size.width // 10, self.view.by_time))

    def render(self) -> RenderResult:
        """Re-plots from the series, then lets textual-plotext size and theme the figure."""
        self.replot()
        return super().render()
