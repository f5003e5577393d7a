"""Provides the README's screenshots: the dashboard, and the implementations compared.

Run: python docs/make_screenshot.py  (writes docs/screenshot.svg and docs/comparing.svg)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.config import RunConfig, validate
from tui.app import MlpApp
from tui.widgets.trainer_panel import TrainerPanel

HERE = Path(__file__).parent


async def screenshot(config: RunConfig, name: str, views: tuple[str, ...] = ()) -> None:
    """Runs the app at 120x36 until every trainer is halfway, applies the views, saves an SVG."""
    app = MlpApp(config, None, "process")
    async with app.run_test(size=(120, 36)) as pilot:
        panels = list(app.query(TrainerPanel))
        while not all(panel.done >= config.iters // 2 for panel in panels):
            await pilot.pause(0.1)
        for view in views:
            app.dashboard.change_view(view)
        await pilot.pause(0.6)  # one more repaint
        app.save_screenshot(str(HERE / name))
        await pilot.press("q")


async def main() -> None:
    await screenshot(validate(RunConfig(iters=3000)), "screenshot.svg")
    # same start: the three SGD trainers match numpy; torch-optim's Adam parts from it
    same = validate(RunConfig(iters=3000, same_start=True))
    await screenshot(same, "comparing.svg", ("overlay", "equivalence"))


if __name__ == "__main__":
    asyncio.run(main())
