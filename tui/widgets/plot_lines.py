"""Provides what a plot draws: the view settings, the x range shown, each curve's lines and the
cursor's readout."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.history import debiased_ema
from tui.widgets.axis_ticks import seconds_label
from tui.widgets.loss_series import LossSeries, StoredPoints

Colour = tuple[int, int, int]
SMOOTHING_STEPS = (0.0, 0.6, 0.9, 0.99)  # what s cycles through
SPANS = (1.0, 0.1, 0.01)  # what z cycles through: all, the last 10%, the last 1% of the x range
CURSOR_STEP = 0.02  # of the shown x range, per , or .
CURSOR_COLOUR: Colour = (150, 150, 150)
TRAINER_COLOURS: dict[str, Colour] = {"numpy": (86, 182, 194), "torch-manual": (229, 152, 75),
                                      "torch-autograd": (198, 120, 221),
                                      "torch-optim": (152, 195, 121)}  # fmt: skip
GHOST_COLOUR: Colour = (105, 105, 105)


@dataclass(frozen=True)
class PlotView:
    """How a plot draws: y scale, x axis, smoothing, the share of the iterations shown (keys l,
    x, s, z: every plot alike) and the cursor (, and .: the focused plot's own)."""

    log_scale: bool = True
    by_time: bool = False
    smoothing: float = 0.0
    span: float = 1.0
    cursor: float | None = None  # where in the shown x range, 0 (left) to 1 (right)


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


def group_starts(count: int, columns: int) -> np.ndarray:
    """Where each of about `columns` groups of `count` points begins."""
    groups = max(1, min(columns, count))
    return np.linspace(0, count, groups + 1).astype(int)[:-1]


def first_shown(curves: list[Curve], view: PlotView) -> float:
    """The first x shown: 0, or where the last `view.span` of the longest run begins, in
    iterations, or in seconds by wall time (every trainer alike: the same x range for all)."""
    if view.by_time:
        ends = [curve.series.last_time() for curve in curves]
    else:
        ends = [curve.series.count * curve.series.stride for curve in curves]
    return (1.0 - view.span) * max((end for end in ends if math.isfinite(end)), default=0.0)


def points_from(
    series: LossSeries, view: PlotView, start: float
) -> tuple[np.ndarray, StoredPoints]:
    """The points from x = start on, each value where the latest still hold them, and their x
    (iteration, or seconds by wall time)."""
    if view.by_time:
        points = series.since_time(start)
        return points.times, points
    points = series.since(start)
    return points.iters.astype(np.float64), points


def shown_points(curve: Curve, view: PlotView, start: float) -> tuple[np.ndarray, StoredPoints]:
    """The points shown from x = start on (all of them from 0), and their x."""
    if start > 0:
        return points_from(curve.series, view, start)
    points = curve.series.stored()
    return (points.times if view.by_time else points.iters.astype(np.float64)), points


def curve_lines(curve: Curve, view: PlotView, columns: int, start: float = 0.0) -> list[Line]:
    """A curve as lines: its min/max envelope, and with smoothing its EMA over the raw, faint."""
    x, points = shown_points(curve, view, start)
    if not len(points.mean):
        return []
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
    return [
        _drawable(Line(raw_x, raw_y, faint(curve.colour), ""), view),
        _drawable(Line(x[ends], smooth_y, curve.colour, curve.label), view),
    ]


def faint(colour: Colour) -> Colour:
    """The colour dimmed toward grey: a raw curve under its smoothing, a sweep's other members."""
    red, green, blue = colour
    return (red // 3 + 40, green // 3 + 40, blue // 3 + 40)


def _drawable(line: Line, view: PlotView) -> Line:
    keep = np.isfinite(line.x) & np.isfinite(line.y) & ((line.y > 0) if view.log_scale else True)
    return Line(line.x[keep], line.y[keep], line.colour, line.label)


def x_extent(curves: list[Curve], view: PlotView, start: float) -> tuple[float, float]:
    """The first and last x of the points shown (the lines, thinned, may end a little short)."""
    xs = [shown_points(curve, view, start)[0] for curve in curves]  # none: every member diverged
    x = np.concatenate(xs) if xs else np.empty(0)
    x = x[np.isfinite(x)]
    return (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)


def absent(curves: list[Curve], view: PlotView, start: float) -> list[str]:
    """The labelled curves with no point shown from x = start on."""
    return [curve.label for curve in curves
            if curve.label and not len(shown_points(curve, view, start)[0])]  # fmt: skip


def readout(curve: Curve, view: PlotView, start: float, at: float) -> str:
    """The curve's iteration and loss at x = `at` (the last point at or before it): smoothed and
    raw with smoothing on, else the loss; "" where it has no point."""
    x, points = points_from(curve.series, view, start)
    slack = 1e-9 * max(1.0, abs(at))  # the cursor at the last point may land a rounding short
    index = int(np.searchsorted(x, at + slack, side="right")) - 1
    if index < 0:
        return ""
    name = f"{curve.label} " if curve.label else ""
    where = f"{name}it {int(points.iters[index]):,}"
    if view.by_time:
        where += f" ({seconds_label(float(x[index]))})"
    raw = float(points.mean[index])
    if not view.smoothing:
        return f"{where}: loss {raw:.4g}"
    smoothed = float(debiased_ema(points.mean[: index + 1], view.smoothing)[-1])
    return f"{where}: {smoothed:.4g} smoothed, {raw:.4g} raw"
