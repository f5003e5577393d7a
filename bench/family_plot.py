"""Provides the cost of a sweep panel's figure against the members it draws.

Run: python -m bench.family_plot [--rounds 7]. Each member gets 3,000 iterations of a falling
noisy loss; the figure is a panel's at 120x36 (66x14 cells), built by plotext as LossPlot does:
the median build time per number of curves drawn, interleaved round by round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import plotext as plt

from engine.config import RunConfig
from engine.events import FamilyPoints, LossPoints
from engine.sweep.spec import members
from tui.widgets.family import MAX_DRAWN, Family
from tui.widgets.plot_lines import PlotView, curve_lines

WIDTH, HEIGHT, ITERS = 66, 14, 3000


def family_of(count: int) -> Family:
    config = RunConfig(sweep=(("lr", tuple(float(k + 1) for k in range(count))),))
    family = Family(members(config), every=10)
    rng = np.random.default_rng(0)
    steps = np.arange(ITERS)
    points = tuple(
        LossPoints("numpy", 0, (np.exp(-steps / (300 + 40 * k)) * 1e3 + rng.random(ITERS)).tolist(),
                   (steps / 1e3).tolist(), member=member)
        for k, member in enumerate(members(config))
    )  # fmt: skip
    family.take(FamilyPoints("numpy", points))
    return family


def build(family: Family) -> float:
    """Seconds to build the figure of the curves a panel draws."""
    start = time.perf_counter()
    plt.clear_data()
    plt.clear_figure()
    plt.yscale("log")
    for curve in family.curves((86, 182, 194), family.drawn()):
        for line in curve_lines(curve, PlotView(), WIDTH):
            plt.plot(line.x.tolist(), line.y.tolist(), marker="braille", color=line.colour)
    plt.plotsize(WIDTH, HEIGHT)
    plt.build()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    families = {count: family_of(count) for count in (1, 4, MAX_DRAWN, 256)}
    times: dict[int, list[float]] = {count: [] for count in families}
    print(f"load before: {os.getloadavg()[0]:.2f}")
    for _ in range(args.rounds):
        for count, family in families.items():
            times[count].append(build(family))
    print(f"{'members':>8} {'drawn':>6} {'figure ms':>10}")
    for count, family in families.items():
        drawn = len(family.shown())
        print(f"{count:>8} {drawn:>6} {1000 * statistics.median(times[count]):>10.1f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
