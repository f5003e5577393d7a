"""Provides the README's screenshots: the dashboard, the implementations compared, a sweep.

Run: python docs/make_screenshot.py [NAME ...]  (writes docs/screenshot.svg, docs/comparing.svg,
docs/sweep.svg and docs/sweep-view.svg; NAME: dashboard, comparing or sweep, all by default)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from engine.config import RunConfig, validate
from engine.sweep.spec import parse_axis
from tui.app import MlpApp
from tui.widgets.trainer_panel import TrainerPanel

HERE = Path(__file__).parent


async def screenshot(
    config: RunConfig, name: str, views: tuple[str, ...] = (), then: tuple[str, str] | None = None
) -> None:
    """Runs the app at 120x36 until every trainer is halfway, applies the views, saves an SVG;
    then (a key and a name): presses the key, and saves that screen too."""
    app = MlpApp(config, None, "process")
    async with app.run_test(size=(120, 36)) as pilot:
        panels = list(app.query(TrainerPanel))
        while not all(panel.done >= config.iters // 2 for panel in panels):
            await pilot.pause(0.1)
        for view in views:
            app.dashboard.change_view(view)
        await pilot.pause(0.6)  # one more repaint
        app.save_screenshot(str(HERE / name))
        if then is not None:
            await pilot.press(then[0])
            await pilot.pause(1.2)  # the view draws, and redraws once
            app.save_screenshot(str(HERE / then[1]))
            await pilot.press("escape")
        await pilot.press("q")


async def main(names: list[str]) -> None:
    if "dashboard" in names:
        await screenshot(validate(RunConfig(iters=3000)), "screenshot.svg")
    if "comparing" in names:
        # same start: the three SGD trainers match numpy; torch-optim's Adam parts from it
        same = validate(RunConfig(iters=3000, same_start=True))
        await screenshot(same, "comparing.svg", ("overlay", "equivalence"))
    if "sweep" in names:  # the README's first sweep, halfway through 600 iterations
        sweep = validate(RunConfig(iters=600, sweep=(parse_axis("lr=1e-7:1e-4:16"),)))
        await screenshot(sweep, "sweep.svg", then=("m", "sweep-view.svg"))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["dashboard", "comparing", "sweep"]))
