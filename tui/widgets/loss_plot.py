"""Provides the live loss plot: a textual-plotext widget that owns its series and redraws it."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from tui.widgets.loss_series import LossSeries

PLOT_SECONDS = 1.0


def y_ticks(low: float, high: float, log: bool, count: int) -> tuple[list[float], list[str]]:
    """Short tick labels: powers of ten on a log scale, 3 significant digits on a linear one."""
    count = max(2, count)
    if not log:
        ticks = np.linspace(low, high, count).tolist() if high > low else [low]
        return ticks, [f"{tick:.3g}" for tick in ticks]
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    powers = sorted({round(power) for power in np.linspace(first, last, count)})
    return [10.0**power for power in powers], [f"1e{power}" for power in powers]


def x_ticks(last: float, count: int) -> tuple[list[float], list[str]]:
    """Whole iterations from 0 to the last, labelled compactly (1.5k, 2M)."""
    ticks = sorted({round(tick) for tick in np.linspace(0, last, max(2, count))})
    return [float(tick) for tick in ticks], [compact_number(tick) for tick in ticks]


def compact_number(value: int) -> str:
    """12 -> '12', 1500 -> '1.5k', 2_000_000 -> '2M'."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


class LossPlot(PlotextPlot):
    """One trainer's loss by iteration, log-scale by default, thinned to ~2 points a column."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series = LossSeries()
        self.log_scale = True
        self.changed = False  # points arrived since the last repaint
        self.painted = 0.0  # when the last repaint was scheduled (monotonic seconds)

    def add(self, losses: Sequence[float]) -> None:
        """Takes the next iterations' losses; the app repaints on its own timer."""
        self.series.extend(losses)
        self.changed = True

    def reset(self) -> None:
        """Forgets every point, for a restarted trainer (shown at once)."""
        self.series = LossSeries()
        self.refresh()

    def set_log_scale(self, log_scale: bool) -> None:
        """Switches between log and linear y (shown at once: the user pressed a key)."""
        self.log_scale = log_scale
        self.refresh()

    def repaint_if_changed(self) -> None:
        """Schedules a repaint when there is something new to show, once a second at most.

        A figure costs ~10 ms to rebuild here, and the trainers pay for it in CPU.
        """
        now = time.monotonic()
        if self.changed and now - self.painted >= PLOT_SECONDS:
            self.changed, self.painted = False, now
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
            plt.xlabel("iteration")
        x, y = self.series.points(max(8, self.size.width), positive_only=self.log_scale)
        if len(x):  # plotext's log scale fails on an empty figure
            plt.yscale("log" if self.log_scale else "linear")
            plt.plot(x.tolist(), y.tolist(), marker="braille")
            low, high = float(y.min()), float(y.max())
            plt.yticks(*y_ticks(low, high, self.log_scale, self.size.height // 3))
            plt.xticks(*x_ticks(float(x.max()), self.size.width // 10))

    def render(self) -> RenderResult:
        """Re-plots from the series, then lets textual-plotext size and theme the figure."""
        self.replot()
        return super().render()
