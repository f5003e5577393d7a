"""Snapshots of the main screen at 80x24 and 160x48, and of the overlay, from fixed losses."""

from __future__ import annotations

import numpy as np
import pytest
from textual.pilot import Pilot

from engine.config import RunConfig
from engine.events import LossPoints, TrainerEnded
from tests.tui.conftest import plots_settled, wait_until
from tui.app import MlpApp
from tui.widgets.trainer_panel import TrainerPanel


def synthetic_app(**changes: object) -> MlpApp:
    """The seed's run, not started, so the test feeds it the same losses every time."""
    return MlpApp(RunConfig(**changes), None, "thread", autostart=False)  # type: ignore[arg-type]


async def feed_losses(pilot: Pilot) -> None:
    iters = np.arange(600)
    for index, panel in enumerate(pilot.app.query(TrainerPanel)):
        losses = (3e7 / (1 + index)) * np.exp(-iters / (40 + 20 * index)) + 1e-3
        times = (iters * 0.002 * (index + 1)).tolist()
        panel.take_points(LossPoints(panel.trainer, 0, losses.tolist(), times))
    last = pilot.app.query(TrainerPanel).last()
    last.take_ended(
        TrainerEnded(last.trainer, "diverged", 600, 1.0, 1.2, "loss became inf at iteration 600")
    )
    for panel in pilot.app.query(TrainerPanel):
        panel.repaint()
    await wait_until(pilot, lambda: plots_settled(pilot.app))  # plots are drawn 0.1 s apart
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(synthetic_app(), terminal_size=size, run_before=feed_losses)


async def overlay_smoothed_with_equivalence(pilot: Pilot) -> None:
    await feed_losses(pilot)
    for view in ("overlay", "smoothing", "smoothing", "equivalence"):  # smoothing 0.9
        pilot.app.dashboard.change_view(view)  # type: ignore[attr-defined]
    await pilot.pause()


def test_overlay_with_smoothing_and_the_equivalence_panel(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        synthetic_app(same_start=True),
        terminal_size=(120, 36),
        run_before=overlay_smoothed_with_equivalence,
    )
