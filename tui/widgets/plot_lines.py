"""Provides what a plot draws: the view settings, each curve's lines, ticks and the cursor."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.history import debiased_ema
from tui.widgets.loss_series import LossSeries, StoredPoints

Colour = tuple[int, int, int]
SMOOTHING_STEPS = (0.0, 0.6, 0.9, 0.99)  # what s cycles through
SPANS = (1.0, 0.1, 0.01)  # what z cycles through: all, the last 10%, the last 1% of iterations
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


def y_ticks(low: float, high: float, log: bool, count: int) -> tuple[list[float], list[str]]:
    """Short tick labels between low and high: powers of ten on a log scale spanning decades,
    else 3 significant digits (a linear scale, or a log one zoomed within a decade or two).

    plotext scales the axis to the data and prints a tick outside it on the x labels' row.
    """
    count = max(2, count)
    if high <= low:
        return [low], [short_number(low)]
    first, last = (math.floor(math.log10(low)), math.ceil(math.log10(high))) if log else (0, 0)
    if last - first <= 2:
        spaced = np.geomspace if log else np.linspace
        ticks = spaced(low, high, count).tolist()
        return ticks, distinct_labels(ticks, short_number)
    inside = [power for power in range(first, last + 1) if low <= 10.0**power <= high]  # >= 2
    powers = sorted({round(power) for power in np.linspace(inside[0], inside[-1], count)})
    return [10.0**power for power in powers], [f"1e{power}" for power in powers]


def short_number(value: float, digits: int = 3) -> str:
    """2250.0 -> '2.25e3', 179.4 -> '179', 0.00012 -> '1.2e-4'."""
    text = f"{value:.{digits}g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def distinct_labels(ticks: list[float], label: Callable[[float, int], str]) -> list[str]:
    """The ticks labelled with 3 significant digits, or more where that makes two alike."""
    for digits in range(3, 8):
        labels = [label(tick, digits) for tick in ticks]
        if len(set(labels)) == len(labels):
            break
    return labels


def x_ticks(
    first: float, last: float, count: int, seconds: bool = False
) -> tuple[list[float], list[str]]:
    """Iterations (1.5k, 2M) or seconds (12s, 3.5m) from the first to the last, compactly."""
    ticks = np.linspace(first, last, max(2, count)).tolist()
    if seconds:
        return ticks, [seconds_label(tick) for tick in ticks]
    whole = sorted({round(tick) for tick in ticks})
    return [float(tick) for tick in whole], distinct_labels(whole, compact_number)


def compact_number(value: float, digits: int = 3) -> str:
    """12 -> '12', 1500 -> '1.5k', 2_000_000 -> '2M' (with more digits, 164_321 -> '164.3k')."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.{digits}g}{suffix}"
    return str(int(value))


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


def first_shown(curves: list[Curve], view: PlotView) -> float:
    """The first iteration shown: 0, or where the last `view.span` of the longest run begins."""
    extent = max((curve.series.count * curve.series.stride for curve in curves), default=0)
    return (1.0 - view.span) * extent


def shown_points(
    curve: Curve, view: PlotView, first_iter: float
) -> tuple[np.ndarray, StoredPoints]:
    """The points shown from first_iter on, and their x (iteration or seconds)."""
    points = curve.series.stored() if first_iter <= 0 else curve.series.since(first_iter)
    return (points.times if view.by_time else points.iters.astype(np.float64)), points


def curve_lines(curve: Curve, view: PlotView, columns: int, first_iter: float = 0.0) -> list[Line]:
    """A curve as lines: its min/max envelope, and with smoothing its EMA over the raw, faint."""
    x, points = shown_points(curve, view, first_iter)
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


def x_extent(curves: list[Curve], view: PlotView, first_iter: float) -> tuple[float, float]:
    """The first and last x of the points shown (the lines, thinned, may end a little short)."""
    xs = [shown_points(curve, view, first_iter)[0] for curve in curves]
    x = np.concatenate(xs)
    x = x[np.isfinite(x)]
    return (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)


def readout(curve: Curve, view: PlotView, first_iter: float, at: float) -> str:
    """The curve's iteration and loss at x = `at` (the last point at or before it): smoothed and
    raw with smoothing on, else the loss; "" where it has no point."""
    points = curve.series.since(first_iter)  # each value, where the latest still hold them
    x = points.times if view.by_time else points.iters.astype(np.float64)
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
