"""The plots' figure cache: compositing (a modal, a notification) never re-plots; data, size and
view changes do."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import (
    four_training,
    panels,
    paused_app,
    plots_settled,
    settle,
    small_app,
    wait_until,
)
from tui.app import MlpApp
from tui.screens.controls import ControlsScreen
from tui.widgets import loss_plot
from tui.widgets.loss_plot import LossPlot
from tui.widgets.trainer_panel import TrainerPanel


def count_builds(app: MlpApp, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts plotext figure builds per plot, from now on."""
    builds: Counter[str] = Counter()
    for plot in app.query(LossPlot):
        build = plot.plt.build

        def counted(build=build, name=str(plot.parent.id)) -> str:  # type: ignore[no-untyped-def]
            builds[name] += 1
            return build()

        monkeypatch.setattr(plot.plt, "build", counted)
    return builds


async def drawn_numpy_panel(
    pilot: Pilot, app: MlpApp, monkeypatch: pytest.MonkeyPatch
) -> tuple[TrainerPanel, Counter[str]]:
    """The numpy panel once its plot holds some points and has drawn them; builds counted since.
    From then on the timer re-plots only when a test lets it (plot.painted = 0)."""
    monkeypatch.setattr(loss_plot, "PLOT_SECONDS", 3600.0)
    panel = panels(app)["numpy"]
    await wait_until(pilot, lambda: panel.series.count > 10 and panel.plot.painted > 0)
    await wait_until(pilot, lambda: plots_settled(app))
    await settle(pilot)
    return panel, count_builds(app, monkeypatch)


async def test_a_modal_over_four_training_plots_builds_no_figure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with four_training(monkeypatch) as (app, pilot):
        await pilot.press("space")
        await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
        for plot in app.query(LossPlot):
            plot.painted = 0.0
        app.dashboard.repaint()  # every plot takes the last points once more, a slot apart
        plots = [panel.plot for panel in panels(app).values()]
        await wait_until(pilot, lambda: all(p.painted_versions == p.versions() for p in plots))
        await settle(pilot)
        builds = count_builds(app, monkeypatch)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ControlsScreen))
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not builds, "compositing re-plotted"
        await pilot.press("l")  # a view change re-plots every shown plot
        await settle(pilot)
        assert set(builds) == {f"panel-{name}" for name in panels(app)}
        await pilot.press("q")


async def test_new_data_and_a_resize_build_the_figure_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loss_plot, "SLOT_SECONDS", 0.0)  # a plot due is drawn at once
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test(size=(120, 36)) as pilot:
        panel, builds = await drawn_numpy_panel(pilot, app, monkeypatch)
        await settle(pilot)
        panel.plot.painted = 0.0  # let the timer take the new points at once
        count = panel.series.count
        await wait_until(pilot, lambda: panel.series.count > count)
        panel.plot.repaint_if_changed()
        await settle(pilot)
        assert builds["panel-numpy"] == 1
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert builds["panel-numpy"] == 2
        await pilot.press("q")


async def test_rendering_again_serves_the_same_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """What Textual does when it recomposes for any other reason: render() again, nothing new."""
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test(size=(120, 36)) as pilot:
        panel, builds = await drawn_numpy_panel(pilot, app, monkeypatch)
        first = panel.plot.render()
        assert panel.plot.render() is first and not builds
        panel.plot.show(view=replace(panel.plot.view, log_scale=False))
        assert panel.plot.render() is not first and builds["panel-numpy"] == 1
        await pilot.press("q")


async def test_plots_due_together_are_drawn_a_slot_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key pressed as the timer falls waits for one figure at most, not for four."""
    app = small_app(iters=10**7)
    async with app.run_test(size=(120, 36)) as pilot:
        await paused_app(pilot, app)
        plots = [panel.plot for panel in panels(app).values()]
        await wait_until(pilot, lambda: all(p.painted_versions == p.versions() for p in plots))
        await settle(pilot)
        builds = count_builds(app, monkeypatch)
        monkeypatch.setattr(loss_plot, "SLOT_SECONDS", 3600.0)  # the second slot never comes
        monkeypatch.setattr(LossPlot, "next_slot", 0.0)
        for plot in plots:
            plot.painted, plot.painted_versions = 0.0, ()  # as if each had points to draw
        app.dashboard.repaint()
        await settle(pilot)
        assert sum(builds.values()) == 1
        await pilot.press("l")  # a key's view change draws every plot at once, slots or not
        await settle(pilot)
        assert set(builds) == {f"panel-{name}" for name in panels(app)}
        await pilot.press("q")
