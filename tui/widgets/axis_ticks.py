"""Provides axis ticks: where they go and their labels, short and each one distinct."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# x steps in seconds past 5 s: a clock's (15 s, 30 s, 1 min, 5 min...), not 20 s, 50 s, 200 s
CLOCK_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600,
               12 * 3600, 24 * 3600)  # fmt: skip
CLOCK_FROM = 120.0  # seconds: an axis reaching this far reads as m:ss (1:30), below as 95s


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
    """At most `count` round values from first to last (every 1, 2 or 5 times a power of ten;
    every 15 s, 30 s, 1 min, 5 min... past 5 s), labelled as iterations (2.5k, 2.55k) or as
    seconds (95s, 95.5s), or m:ss (1:30, 16:42) on an axis reaching CLOCK_FROM."""
    if last <= first:
        return [first], [seconds_label(first) if seconds else compact_number(first)]
    rough = (last - first) / max(2, count)
    while True:  # halved until two ticks fit: a round step can be up to 2.5 times the rough
        step = round_step(rough, seconds)
        ticks = (np.arange(math.ceil(first / step - 1e-9), math.floor(last / step + 1e-9) + 1)
                 * step).tolist()  # fmt: skip
        if len(ticks) >= 2 or (step == 1 and not seconds):
            break
        rough /= 2
    if not seconds:
        return ticks, distinct_labels(ticks, compact_number)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))  # 0.5 -> 1, 0.05 -> 2
    if last < CLOCK_FROM:
        return ticks, [f"{tick:.{decimals}f}s" for tick in ticks]
    return ticks, [clock(tick, decimals) for tick in ticks]


def round_step(rough: float, seconds: bool) -> float:
    """The least round step at least `rough`: a clock's past 5 s, else 1, 2 or 5 times a power
    of ten (a whole number of iterations)."""
    if seconds and rough > 5:
        return next((step for step in CLOCK_STEPS if step >= rough), round_step(rough, False))
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(power * size for size in (1, 2, 5, 10) if power * size >= rough * (1 - 1e-9))
    return step if seconds else max(1.0, step)


def compact_number(value: float, digits: int = 3) -> str:
    """12 -> '12', 1500 -> '1.5k', 2_000_000 -> '2M' (with more digits, 164_321 -> '164.3k')."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:.{digits}g}{suffix}"
    return str(int(value))


def seconds_label(seconds: float) -> str:
    """0.25 -> '0.25s', 100.4 -> '100s', 130 -> '2:10' (CLOCK_FROM on)."""
    return f"{seconds:.3g}s" if seconds < CLOCK_FROM else clock(seconds)


def clock(seconds: float, decimals: int = 0) -> str:
    """65 -> '1:05', 7265 -> '2:01:05'; with decimals=1, 65.25 -> '1:05.2'."""
    scale = 10**decimals
    minutes, rest = divmod(round(seconds * scale), 60 * scale)
    hours, minutes = divmod(minutes, 60)
    whole, fraction = divmod(rest, scale)
    text = f"{whole:02}.{fraction:0{decimals}}" if decimals else f"{whole:02}"
    return f"{hours}:{minutes:02}:{text}" if hours else f"{minutes}:{text}"
