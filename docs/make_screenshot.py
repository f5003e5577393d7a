"""Provides the README's screenshot: the dashboard at 120x36 a few seconds into the seed's run.

Run: python docs/make_screenshot.py  (writes docs/screenshot.svg)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.config import RunConfig, validate
from tui.app import MlpApp
from tui.widgets.trainer_panel import TrainerPanel


async def main() -> None:
    app = MlpApp(validate(RunConfig(iters=3000)), None, "process")
    async with app.run_test(size=(120, 36)) as pilot:
        panels = list(app.query(TrainerPanel))
        while not all(panel.done >= 1500 for panel in panels):
            await pilot.pause(0.1)
        await pilot.pause(0.6)  # one more repaint
        app.save_screenshot(str(Path(__file__).with_name("screenshot.svg")))
        await pilot.press("q")


if __name__ == "__main__":
    asyncio.run(main())
