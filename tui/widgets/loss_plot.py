"""Provides the loss plot: a textual-plotext widget drawing one or more loss series, and how."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.app import RenderResult
from textual.timer import Timer
from textual_plotext import PlotextPlot

from tui.widgets.axis_ticks import x_ticks, y_ticks
from tui.widgets.plot_lines import (
    CURSOR_COLOUR,
    GHOST_COLOUR,
    Curve,
    Line,
    PlotView,
    absent,
    curve_lines,
    first_shown,
    readout,
    x_extent,
)

PLOT_SECONDS = 1.0
SLOT_SECONDS = 0.1  # plots due at once are drawn this far apart: no frame draws them all


class LossPlot(PlotextPlot):
    """Loss by iteration or time, log-scale by default, thinned to ~2 points a column."""

    next_slot: ClassVar[float] = 0.0  # when the next plot due on the timer may be drawn

    def __init__(self, curves: list[Curve], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.curves = curves
        self.view = PlotView()
        self.painted_versions: tuple[int, ...] = ()
        self.painted = 0.0  # when the last repaint was scheduled (monotonic seconds)
        self.waiting: Timer | None = None  # a repaint scheduled for a later slot
        self.data_generation = 0  # the series as last accepted for drawing (show, the timer)
        self.figure_key: tuple[object, ...] | None = None
        self.figure: RenderResult = ""

    def show(self, curves: list[Curve] | None = None, view: PlotView | None = None) -> None:
        """Draws other curves, or the same ones another way (at once: the user asked)."""
        self.curves = self.curves if curves is None else curves
        self.view = self.view if view is None else view
        self.redraw()

    def redraw(self) -> None:
        """Draws the series as they are now, at the next frame (instead of at a later slot)."""
        if self.waiting is not None:
            self.waiting.stop()
            self.waiting = None
        self.painted_versions = self.versions()
        self.data_generation += 1
        self.refresh()

    def versions(self) -> tuple[int, ...]:
        return tuple(curve.series.version for curve in self.curves)

    def repaint_if_changed(self) -> None:
        """Schedules a repaint when a series changed, once a second at most.

        A figure costs 5-10 ms to rebuild here, and the trainers pay for it in CPU. Plots that
        fall due on the same tick are drawn SLOT_SECONDS apart, so that a key pressed meanwhile
        waits for one figure at most, not for four.
        """
        now = time.monotonic()
        due = self.versions() != self.painted_versions and now - self.painted >= PLOT_SECONDS
        if not due or self.waiting is not None:
            return
        self.painted = now
        slot = max(now, LossPlot.next_slot)
        LossPlot.next_slot = slot + SLOT_SECONDS
        if slot > now:
            self.waiting = self.set_timer(slot - now, self.take_slot)
        else:
            self.redraw()

    def take_slot(self) -> None:
        self.waiting = None
        if self.app.screen_stack[-1:] == [self.screen]:  # (empty as the app ends)
            self.redraw()
        else:  # under a dialog (is_current is true there too): due on the first tick after it
            self.painted = 0.0

    def lines(self) -> tuple[list[Line], float, tuple[float, float]]:
        """What the figure draws, the first x shown (iteration or seconds) and the x range."""
        start = first_shown(self.curves, self.view)
        columns = max(8, self.size.width)
        lines = [line for curve in self.curves
                 for line in curve_lines(curve, self.view, columns, start)]  # fmt: skip
        extent = x_extent(self.curves, self.view, start)
        return [line for line in lines if len(line.x)], start, extent

    def absent(self) -> list[str]:
        """The trainers (labelled curves) with no point in the x range shown."""
        return absent(self.curves, self.view, first_shown(self.curves, self.view))

    def readout(self, lines: list[Line], start: float, extent: tuple[float, float]) -> list[Text]:
        """Each live curve's iteration and loss at the cursor, in its colour, as many as leave
        the figure 3 rows (none without a cursor)."""
        if self.view.cursor is None or not lines:
            return []
        at = cursor_x(extent, self.view.cursor)
        texts = [(readout(curve, self.view, start, at), curve.colour)
                 for curve in self.curves if curve.colour != GHOST_COLOUR]  # fmt: skip
        return [Text(text, style=f"rgb{colour}", no_wrap=True, overflow="ellipsis")
                for text, colour in texts if text][: max(0, self.size.height - 3)]  # fmt: skip

    def replot(self, lines: list[Line], extent: tuple[float, float], height: int) -> None:
        """Builds the whole figure, `height` rows, from the lines.

        plotext takes log10 of its stored data in place, so drawing the same stored data twice
        on a log scale breaks; every build therefore starts from the widget's own series.
        """
        plt, view = self.plt, self.view
        plt.clear_data()
        plt.clear_figure()
        if height >= 14:  # below that the rows are worth more to the curve
            plt.xlabel("wall time" if view.by_time else "iteration")
        if not lines:  # plotext's log scale fails on an empty figure
            return
        plt.yscale("log" if view.log_scale else "linear")
        for line in lines:
            plt.plot(line.x.tolist(), line.y.tolist(), marker="braille", color=line.colour,
                     label=line.label or None)  # fmt: skip
        y = np.concatenate([line.y for line in lines])
        plt.yticks(*y_ticks(float(y.min()), float(y.max()), view.log_scale, height // 3))
        first, last = extent
        if last > first:  # plotext divides by the range
            plt.xlim(first, last)
        plt.xticks(*x_ticks(first, last, self.size.width // 10, view.by_time))
        if view.cursor is not None:
            plt.vline(cursor_x(extent, view.cursor), CURSOR_COLOUR)

    def render(self) -> RenderResult:
        """The figure, re-plotted only when the data, the size, the view or the theme changed.

        Textual renders a widget again for reasons that change none of these (a modal's dimmed
        background, a notification, a neighbour's repaint); plotext would take ~10 ms a plot.
        """
        key = (self.data_generation, tuple(self.curves), self.size, self.view, self.app.theme,
               self.theme)  # fmt: skip
        if key != self.figure_key:
            self.figure, self.figure_key = self.build_figure(), key
        return self.figure

    def build_figure(self) -> RenderResult:
        """The cursor's readout lines above the plotext figure, which takes the rows left.

        Sized and themed as textual-plotext's own render() does, for the rows left.
        """
        lines, start, extent = self.lines()
        readout_lines = self.readout(lines, start, extent)
        width, height = self.size.width, self.size.height - len(readout_lines)
        self.replot(lines, extent, height)
        self.plt.plotsize(width, height)
        self.plt._set_size(width, height)  # see textual-plotext's render()
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        figure = Text.from_ansi(self.plt.build())
        return Group(*readout_lines, figure) if readout_lines else figure


def cursor_x(extent: tuple[float, float], cursor: float) -> float:
    """Where the cursor is: `cursor` of the way from the first x shown to the last."""
    first, last = extent
    return first + cursor * (last - first)
