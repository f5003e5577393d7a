"""What a key's frame holds: a pause repaints the panels' borders, not their plots; the dialogs
are built before their keys are first pressed; eta keeps its width."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from textual._compositor import ChopsUpdate
from textual.app import ComposeResult
from textual.geometry import Region

from tests.tui.conftest import four_training, panels, screen_text, settle, wait_until
from tests.tui.test_snapshots import feed_losses, synthetic_app
from tui.app import MlpApp
from tui.screens.controls import ControlsScreen
from tui.screens.devices import DeviceScreen
from tui.screens.help import HelpScreen


def frames_sent(app: MlpApp, monkeypatch: pytest.MonkeyPatch) -> list[list[Region]]:
    """What each frame sends to the terminal from now on: the screen's regions it repaints."""
    sent: list[list[Region]] = []
    display = app._display

    def recorded(screen: Any, update: Any) -> None:
        if isinstance(update, ChopsUpdate):
            sent.append([Region(x1, y, x2 - x1, 1) for y, x1, x2 in update.spans])
        elif update is not None:  # a full frame
            sent.append([app.screen.region])
        display(screen, update)

    monkeypatch.setattr(app, "_display", recorded)
    return sent


async def test_pausing_repaints_the_panels_borders_not_their_plots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The state and progress live in each panel's border. Textual repaints a widget's whole
    # region when its border text is set: every plot went to the terminal again, twice a
    # second and on every pause (19 kB a frame).
    async with four_training(monkeypatch) as (app, pilot):
        plots = [panel.plot for panel in panels(app).values()]
        await wait_until(pilot, lambda: all(plot.painted and not plot.waiting for plot in plots))
        await settle(pilot)
        sent = frames_sent(app, monkeypatch)
        await pilot.press("space")
        await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
        await pilot.pause(0.6)  # a text tick or two: the progress in every border set again
        await pilot.press("space")
        await wait_until(pilot, lambda: all(p.state == "running" for p in panels(app).values()))
        await settle(pilot)
        assert sent, "no frame sent"
        for frame in sent:
            assert not any(plot.region.overlaps(part) for plot in plots for part in frame), frame
        assert screen_text(app).count(" running ") == 4, screen_text(app)


def counting_compose(monkeypatch: pytest.MonkeyPatch, *classes: type[Any]) -> Counter[str]:
    """Counts each class's compose() from now on."""
    composed: Counter[str] = Counter()
    for screen_class in classes:
        compose = screen_class.compose

        def counted(screen: Any, compose: Any = compose) -> Iterator[ComposeResult]:
            composed[type(screen).__name__] += 1
            yield from compose(screen)

        monkeypatch.setattr(screen_class, "compose", counted)
    return composed


async def test_the_dialogs_are_built_before_their_keys_are_first_pressed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Textual composes a screen the first time it is pushed: the first c took 150-180 ms.
    composed = counting_compose(monkeypatch, ControlsScreen, HelpScreen, DeviceScreen)
    app = synthetic_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await feed_losses(pilot)
        await wait_until(pilot, lambda: len(composed) == 3)
        await settle(pilot)
        assert len(app.screen_stack) == 1 and "Controls —" not in screen_text(app)  # unseen
        composed.clear()
        for key, shown in (("c", "Controls —"), ("question_mark", "tab / shift+tab"),
                           ("d", "Device for the torch trainers")):  # fmt: skip
            await pilot.press(key)
            await wait_until(pilot, lambda shown=shown: shown in screen_text(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1)
        assert not composed, f"composed as its key was pressed: {dict(composed)}"


async def test_eta_keeps_to_its_width() -> None:
    # eta has a fixed width (a new width would lay the whole screen out on every pause)
    app = synthetic_app(iters=10**9)
    async with app.run_test(size=(120, 36)) as pilot:
        await feed_losses(pilot)
        panel = panels(app)["numpy"]
        bar = panel.progress.region
        etas = {1.0: "eta >100 h", 2_777.78: "eta 99:59:59", 2_800.0: "eta 99:12:23",
                10**6: "eta 16:40", 0.0: "eta -"}  # fmt: skip
        for rate, eta in etas.items():
            panel.rate, panel.changed = rate, True
            panel.repaint_text()
            await settle(pilot)
            row = screen_text(app).splitlines()[bar.y]
            assert eta in row[panel.region.x : panel.region.right], row  # in numpy's panel
            assert panel.progress.region == bar  # the progress bar beside it never moved
