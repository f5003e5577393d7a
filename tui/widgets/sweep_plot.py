"""Provides the sweep view's picture: each trainer's final loss against the swept value, the
diverged values and the best member marked, and the plot that draws all four trainers at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from engine.sweep.spec import FLAG_NAMES
from tui.widgets.axis_ticks import short_number, y_ticks
from tui.widgets.family import Family
from tui.widgets.plot_lines import TRAINER_COLOURS, faint

DIVERGED_MARK, BEST_MARK = "x", "*"


@dataclass(frozen=True)
class SweepLine:
    """One trainer in the sweep view: final loss by swept value (NaN where all diverged)."""

    trainer: str
    x: np.ndarray  # the swept values, sorted
    y: np.ndarray  # final loss; the mean over seeds when seeds are swept beside
    low: np.ndarray | None  # min and max over seeds: the band, when seeds are swept beside
    high: np.ndarray | None
    diverged: np.ndarray  # the x values where every member diverged (over seeds: any one)
    best: tuple[float, float] | None  # the best member's x and final loss

    def drawn(self) -> np.ndarray:
        """Every loss the plot draws of this line (mean, band, best): the y axis spans them."""
        parts = [self.y, *(band for band in (self.low, self.high) if band is not None)]
        values = np.concatenate([*parts, [self.best[1]] if self.best else []])
        return values[np.isfinite(values) & (values > 0)]


def x_axis(family: Family) -> tuple[str, str | None]:
    """The axis along x (the first that is not seed, else seed) and the other, if any."""
    axes = list(family.axes)
    along = next((name for name in axes if name != "seed"), axes[0])
    other = next((name for name in axes if name != along), None)
    return along, other


def sweep_line(trainer: str, family: Family, smoothing: float) -> SweepLine:
    """The trainer's final losses grouped by the x axis's value: over seeds, mean and min-max;
    over another axis, its best (lowest) value.

    A value where one seed diverged has no mean (it would be infinite) and is marked diverged:
    the mean of the others would pass a value that fails for some seeds as a good one. Its band
    still spans the seeds that trained."""
    along, other = x_axis(family)
    final = family.final(smoothing)
    xs = np.array([member.values[along] for member in family.members], dtype=np.float64)
    values = np.unique(xs)
    groups = [final[xs == value] for value in values]
    finite = [group[np.isfinite(group)] for group in groups]
    over_seeds = other == "seed"
    failed = np.array([len(kept) < len(group) if over_seeds else not len(kept)
                       for kept, group in zip(finite, groups, strict=True)])  # fmt: skip
    reduce = np.mean if over_seeds else np.min
    y = np.array([np.nan if bad else reduce(kept)
                  for kept, bad in zip(finite, failed, strict=True)])  # fmt: skip
    low = high = None
    if over_seeds:
        low = np.array([kept.min() if len(kept) else np.nan for kept in finite])
        high = np.array([kept.max() if len(kept) else np.nan for kept in finite])
    best = family.best(smoothing)
    marked = None if best is None else (float(xs[best]), float(final[best]))
    return SweepLine(trainer, values, y, low, high, values[failed], marked)


def axis_title(family: Family) -> str:
    """What the x axis is, and what the y values are over the other axis."""
    along, other = x_axis(family)
    if other == "seed":
        return f"{FLAG_NAMES[along]} (mean over seeds, min-max band)"
    if other is not None:
        return f"{FLAG_NAMES[along]} (the best over {FLAG_NAMES[other]})"
    return FLAG_NAMES[along]


class SweepPlot(PlotextPlot):
    """Every trainer's sweep line on one plot: log x for lr and init-scale, log y."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[SweepLine] = []
        self.log_x = True

    def show(self, lines: list[SweepLine], log_x: bool) -> None:
        self.lines, self.log_x = lines, log_x
        self.refresh()

    def render(self) -> RenderResult:
        """The figure, built for the widget's size and theme (as textual-plotext's own)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        drawn = np.concatenate([line.drawn() for line in self.lines] or [np.empty(0)])
        if len(drawn):
            self.draw(drawn)
        width, height = self.size.width, self.size.height
        plt.plotsize(width, height)
        plt._set_size(width, height)  # see textual-plotext's render()
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        return Text.from_ansi(plt.build())

    def draw(self, drawn: np.ndarray) -> None:
        plt = self.plt
        plt.xscale("log" if self.log_x else "linear")
        plt.yscale("log")
        low, high = float(drawn.min()), float(drawn.max())
        for line in self.lines:
            colour = TRAINER_COLOURS[line.trainer]
            for band in (line.low, line.high):
                if band is not None:
                    self.plot_points(line.x, band, faint(colour), "braille")
            self.plot_points(line.x, line.y, colour, "braille", line.trainer)
            if len(line.diverged):  # along the top: these values diverged
                plt.scatter(line.diverged.tolist(), [high] * len(line.diverged),
                            marker=DIVERGED_MARK, color=colour)  # fmt: skip
            if line.best is not None:
                plt.scatter([line.best[0]], [line.best[1]], marker=BEST_MARK, color=colour)
        plt.yticks(*y_ticks(low, high, True, max(2, self.size.height // 4)))
        xs = np.unique(np.concatenate([line.x for line in self.lines]))
        shown = xs[:: max(1, len(xs) // max(2, self.size.width // 12))]
        plt.xticks(shown.tolist(), [short_number(float(x)) for x in shown])

    def plot_points(self, x: np.ndarray, y: np.ndarray, colour: tuple[int, int, int],
                    marker: str, label: str | None = None) -> None:  # fmt: skip
        keep = np.isfinite(y) & (y > 0)
        if keep.any():
            self.plt.plot(x[keep].tolist(), y[keep].tolist(), marker=marker, color=colour,
                          label=label)  # fmt: skip
