"""A closer look at a curve: z zooms to the end, a cursor reads the loss off a plot, each panel
gives its ETA, and the end of a run rings the bell once (not with --quiet)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from engine.cli import parse
from tests.tui.conftest import notifications, panels, small_app, wait_until
from tui.app import MlpApp

SIZES = [(120, 36), (80, 24)]
SUFFIXES = {"": 1, "k": 1e3, "M": 1e6}


def shown(widget: Widget) -> list[str]:
    """The widget's lines as on screen."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def x_labels(widget: Widget) -> list[float]:
    """The numbers under the plot's x axis (the last line with any)."""
    for line in reversed(shown(widget)):
        found = re.findall(r"(\d+(?:\.\d+)?)([kM]?)(?=\s|$)", line.strip())
        if len(found) >= 2:
            return [float(number) * SUFFIXES[suffix] for number, suffix in found]
    raise AssertionError("no x axis labels on screen")


async def paused_numpy(pilot: Pilot, iters: int) -> None:
    app = pilot.app
    panel = panels(app)["numpy"]  # type: ignore[arg-type]
    await wait_until(pilot, lambda: panel.done > iters)
    await pilot.press("space")
    await wait_until(pilot, lambda: panel.state == "paused" and panel.series.count == panel.done)
    await wait_until(pilot, lambda: panel.plot.painted_versions == panel.plot.versions())
    await redrawn(pilot)


async def redrawn(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_z_shows_the_last_tenth_then_the_last_hundredth_then_all(size) -> None:  # type: ignore[no-untyped-def]
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test(size=size) as pilot:
        await paused_numpy(pilot, 3000)
        plot = panels(app)["numpy"].plot
        done = panels(app)["numpy"].done
        assert x_labels(plot)[0] == 0
        await pilot.press("z")
        await redrawn(pilot)
        first, last = x_labels(plot)[0], x_labels(plot)[-1]
        assert 0.9 * done <= first < last <= done  # round values, a step or two inside the range
        await pilot.press("z")
        await redrawn(pilot)
        assert x_labels(plot)[0] > 0.98 * done
        await pilot.press("z")
        await redrawn(pilot)
        assert x_labels(plot)[0] == 0
        await pilot.press("q")


def readout(app: MlpApp) -> str:
    """The readout line atop the first panel's plot ('' when it shows none)."""
    top = shown(panels(app)["numpy"].plot)[0].strip()
    return top if top.startswith("it ") else ""


def iteration_read(app: MlpApp) -> int:
    found = re.match(r"it ([\d,]+):", readout(app))
    assert found, readout(app)
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("size", SIZES)
async def test_the_cursor_reads_iteration_and_loss_off_the_focused_plot(size) -> None:  # type: ignore[no-untyped-def]
    # a run that ends at 600: the readout's length and the plot's points don't hang on speed
    app = small_app(iters=600, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=size) as pilot:
        panel = panels(app)["numpy"]
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await wait_until(pilot, lambda: panel.plot.painted_versions == panel.plot.versions())
        await redrawn(pilot)
        assert readout(app) == ""
        await pilot.press("full_stop")  # the first press shows it at the last point
        await redrawn(pilot)
        assert app.focused is panel
        shown_at = iteration_read(app)  # the last point, when the figure was drawn
        assert panel.series.count - 10 <= shown_at < panel.series.count
        assert readout(app).endswith(f": loss {panel.series.since(shown_at).mean[0]:.4g}")
        await pilot.press(*["comma"] * 10)
        await redrawn(pilot)
        assert 0.7 * shown_at < iteration_read(app) < 0.9 * shown_at
        await pilot.press("s")
        await redrawn(pilot)
        assert re.fullmatch(r"it [\d,]+: \S+ smoothed, \S+ raw", readout(app))
        assert not any(line.startswith("it ") for line in shown(panels(app)["torch-manual"].plot))
        await pilot.press(*["full_stop"] * 11)  # back to the right end, and past it
        await redrawn(pilot)
        assert readout(app) == ""
        await pilot.press("q")


async def test_each_panel_gives_its_eta_at_its_speed_and_none_while_paused() -> None:
    app = small_app(iters=10**7, trainers=("numpy",))
    async with app.run_test(size=(80, 24)) as pilot:
        numpy = panels(app)["numpy"]
        await wait_until(pilot, lambda: numpy.state == "running" and numpy.rate > 0)
        numpy.repaint_text()
        shown_eta = re.fullmatch(r"eta (?:(\d+):)?(\d+):(\d\d)", str(numpy.eta.render()))
        assert shown_eta, numpy.eta.render()
        hours, minutes, seconds = (int(part or 0) for part in shown_eta.groups())
        left = (10**7 - numpy.done) / numpy.rate
        assert abs(3600 * hours + 60 * minutes + seconds - left) <= 1
        await pilot.press("space")
        await wait_until(pilot, lambda: numpy.state == "paused")
        assert str(numpy.eta.render()) == "eta -"
        await pilot.press("q")


@pytest.mark.parametrize(("quiet", "rings"), [(False, 1), (True, 0)])
async def test_the_end_of_the_run_rings_once_and_clears_the_eta(
    monkeypatch: pytest.MonkeyPatch, quiet: bool, rings: int
) -> None:
    app = small_app(iters=600, trainers=("numpy", "torch-manual"))
    app.quiet = quiet
    bells: list[None] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await redrawn(pilot)
        assert [str(p.eta.render()) for p in panels(app).values()] == ["", ""]
        assert len(bells) == rings
        await pilot.press("q")
    assert len(bells) == rings  # the trainers stopped at quitting do not ring again


async def test_quitting_a_running_app_does_not_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    app = small_app(iters=10**7)
    bells: list[None] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 10 for p in panels(app).values()))
        await pilot.press("q")
    assert not bells


def test_quiet_is_a_flag() -> None:
    assert parse(["--quiet"])[0].quiet and not parse([])[0].quiet


async def test_z_in_the_overlay_keeps_every_trainer_by_time_and_names_those_behind() -> None:
    app = small_app(iters=10**6, autostart=False)
    notices = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        for name, panel in panels(app).items():  # numpy 4x as far, all over the same 100 s
            count = 40_000 if name == "numpy" else 10_000
            panel.series.extend(np.geomspace(10, 1, count).tolist(),
                                np.linspace(0, 100, count).tolist())  # fmt: skip
        await pilot.press("o", "x", "z")
        await redrawn(pilot)
        legend = "\n".join(shown(app.dashboard.overlay))
        assert all(name in legend for name in panels(app)), legend
        await pilot.press("z")  # the last 1% of the seconds: every trainer still
        await redrawn(pilot)
        legend = "\n".join(shown(app.dashboard.overlay))
        assert all(name in legend for name in panels(app)), legend
        await pilot.press("x")  # by iteration: the last 1% holds numpy's points only
        await redrawn(pilot)
        assert "torch" not in "\n".join(shown(app.dashboard.overlay))
        assert "torch-manual, torch-autograd, torch-optim not this far" in notices[-1], notices
        await pilot.press("q")
