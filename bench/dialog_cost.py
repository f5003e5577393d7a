"""Provides where a dialog key's time goes: the app's CPU per key, the widgets rendered, and the
plotext figures built, over the snapshot tests' fixed losses (nothing trains, 120x36).

Run: python -m bench.dialog_cost
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from unittest.mock import patch

from textual.pilot import Pilot
from textual.widget import Widget

from tests.tui.test_snapshots import feed_losses, synthetic_app
from tui.widgets.loss_plot import LossPlot

KEYS = ("c", "escape", "question_mark", "escape", "d", "escape", "space", "space")


async def measure() -> None:
    spent: defaultdict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    render_content = Widget._render_content

    def timed(widget: Widget) -> None:
        start = time.process_time()
        render_content(widget)
        spent[type(widget).__name__] += time.process_time() - start
        calls[type(widget).__name__] += 1

    builds = Counter[str]()
    build_figure = LossPlot.build_figure

    def counted(plot: LossPlot):  # type: ignore[no-untyped-def]
        builds["plot"] += 1
        return build_figure(plot)

    app = synthetic_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await feed_losses(pilot)
        for _ in range(5):
            await pilot.pause()
        with (
            patch.object(Widget, "_render_content", timed),
            patch.object(LossPlot, "build_figure", counted),
        ):
            await press_each(pilot, spent, calls, builds)


async def press_each(pilot: Pilot, spent: defaultdict[str, float], calls: Counter[str],
                     builds: Counter[str]) -> None:  # fmt: skip
    """Presses each key, then prints what it cost."""
    for key in KEYS:
        for counter in (spent, calls, builds):
            counter.clear()
        start = time.process_time()
        await pilot.press(key)
        for _ in range(4):
            await pilot.pause()
        most = sorted(spent.items(), key=lambda item: -item[1])[:3]
        costly = ", ".join(
            f"{name} {1000 * seconds:.1f} ms in {calls[name]}" for name, seconds in most
        )
        print(f"{key:<14} app CPU {1000 * (time.process_time() - start):6.1f} ms, "
              f"figures built {builds['plot']}; rendering: {costly}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(measure())
