"""Provides the long-run benchmark: a million iterations in the app, memory and redraw time.

Run: python -m bench.long_run [--iters 1000000]  (small sizes, so the iterations are fast)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from engine.config import RunConfig, validate
from tui.app import MlpApp
from tui.widgets.loss_plot import LossPlot
from tui.widgets.trainer_panel import TrainerPanel


def rss_mb() -> float:
    """This process's resident memory, from /proc (Linux)."""
    with open("/proc/self/status", encoding="utf-8") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def redraw_ms(plot: LossPlot, repeats: int = 20) -> float:
    """Median milliseconds to rebuild one plot's figure from its series."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        plot.build_figure()  # render() would serve the cached figure
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


async def run(iters: int) -> None:
    config = validate(RunConfig(iters=iters, n=8, d_in=12, hidden=9, d_out=5))
    app = MlpApp(config, None, "process")
    async with app.run_test(size=(120, 36)) as pilot:
        app.dashboard.change_view("smoothing")  # the costliest view: EMA on top of the raw curve
        panels = list(app.query(TrainerPanel))
        overlay = app.dashboard.overlay
        print(f"{'done':>9} {'RSS MB':>8} {'panel redraw ms':>16} {'overlay redraw ms':>18}")
        for share in (0.01, 0.1, 0.25, 0.5, 0.75, 1.0):
            while min(panel.done for panel in panels) < share * iters:
                await pilot.pause(0.2)
            done = min(panel.done for panel in panels)
            panel_ms = redraw_ms(panels[0].plot)
            app.dashboard.change_view("overlay")  # shown, so it is drawn at its real size
            await pilot.pause()
            overlay_ms = redraw_ms(overlay)
            app.dashboard.change_view("overlay")
            print(f"{done:>9} {rss_mb():>8.1f} {panel_ms:>16.2f} {overlay_ms:>18.2f}", flush=True)
        await pilot.press("q")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iters", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args().iters))


if __name__ == "__main__":
    main()
