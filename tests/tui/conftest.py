"""Provides apps at small sizes with real trainer threads, and waiting on conditions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from engine.config import RunConfig, validate
from engine.runlog import RunLog
from tui.app import MlpApp
from tui.widgets import loss_plot
from tui.widgets.trainer_panel import TrainerPanel

SMALL = {"n": 8, "d_in": 12, "hidden": 9, "d_out": 5}
WAIT_SECONDS = 60.0  # only reached when something is broken


def small_app(workers: str = "process", autostart: bool = True, **changes: object) -> MlpApp:
    """The app over a small run; trainers compute in child processes, as for users."""
    config = validate(RunConfig(**{**SMALL, **changes}))  # type: ignore[arg-type]
    return MlpApp(config, None, workers, autostart=autostart)


def notifications(app: MlpApp) -> list[str]:
    """Every notification the app has shown so far, kept from when the app was made.

    Toasts vanish after a few seconds; this keeps their text for the test to read.
    """
    shown: list[str] | None = getattr(app, "_shown_in_test", None)
    if shown is None:
        shown = []
        real_notify = app.notify

        def notify(message: str, *args: object, **kwargs: object) -> None:
            shown.append(message)
            real_notify(message, *args, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        app._shown_in_test = shown  # type: ignore[attr-defined]
    return shown


async def wait_until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    """Lets the app process messages until the condition holds (fails after WAIT_SECONDS)."""
    loop_time = 0.0
    while not condition():
        assert loop_time < WAIT_SECONDS, "condition not reached"
        await pilot.pause(0.02)
        loop_time += 0.02


async def settle(pilot: Pilot) -> None:
    """A few turns of the app's loop: what a key or a refresh set off is drawn."""
    for _ in range(4):
        await pilot.pause()


async def paused_app(pilot: Pilot, app: MlpApp) -> dict[str, int]:
    """Waits for every trainer to make progress, pauses them all; returns where each held."""
    await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
    await pilot.press("space")
    await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
    return {name: panel.done for name, panel in panels(app).items()}


@asynccontextmanager
async def four_training(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[MlpApp, Pilot]]:
    """The app at 120x36, all four training at small sizes (10**7 iterations), each panel's
    plot holding points; the timer re-plots no more, so only what a test does draws a plot."""
    monkeypatch.setattr(loss_plot, "PLOT_SECONDS", 3600.0)
    app = small_app(iters=10**7)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.series.count > 10 for p in panels(app).values()))
        await wait_until(pilot, lambda: plots_settled(app))
        yield app, pilot


def plots_settled(app: App[Any]) -> bool:
    """Every panel's plot has drawn what it was last given: no slot pending, no figure owed."""
    plots = [panel.plot for panel in app.query(TrainerPanel)]
    return all(plot.waiting is None and plot.figure_key is not None
               and plot.figure_key[0] == plot.data_generation for plot in plots)  # fmt: skip


def panels(app: MlpApp) -> dict[str, TrainerPanel]:
    return {panel.trainer: panel for panel in app.query(TrainerPanel)}


async def finished_run(log_dir: Path, *keys: str, **changes: object) -> RunLog:
    """Runs the app at small sizes until every trainer ends, presses the keys, quits.

    Returns the run's log, closed.
    """
    config = validate(RunConfig(**{**SMALL, **changes}))  # type: ignore[arg-type]
    run_log = RunLog(config, log_dir)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await pilot.press(*keys, "q")
    run_log.close()
    return run_log


def screen_text(app: App[Any]) -> str:
    """The characters of the screen as the app would draw it now, line by line (every widget
    in view renders its lines for it)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
