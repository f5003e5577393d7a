"""Tests the dashboard of a sweep: each panel's family and its best member, the sweep view (m),
a sweep typed in the controls, member-by-member equivalence, export, the command line, replay."""

from __future__ import annotations

import re
import shlex

from rich.console import Console, RenderableType
from textual.widgets import Input, Static

from engine.cli import parse
from engine.config import RunConfig, validate
from engine.replay import load_run
from engine.runlog import RunLog
from tests.tui.conftest import (
    SMALL,
    finished_run,
    notifications,
    panels,
    screen_text,
    settle,
    small_app,
    wait_until,
)
from tui.app import MlpApp
from tui.screens.sweep import SweepScreen
from tui.screens.text import TextScreen
from tui.widgets.family import MAX_DRAWN

# At the small sizes, lr 1e-4 barely moves, 1e-2 trains best and 10 diverges at once.
SWEEP = (("lr", (1e-4, 1e-2, 10.0)),)
ENDED_SWEEP = {"iters": 60, "sweep": SWEEP, "same_start": True, "dtype": "float64",
               "optimizer": "sgd"}  # fmt: skip


def text_of(renderable: RenderableType) -> str:
    console = Console(width=160, color_system=None)
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def ended(app: MlpApp) -> bool:
    return not any(panel.active for panel in panels(app).values())


async def test_each_panel_draws_its_family_and_names_the_best_member() -> None:
    app = small_app(**ENDED_SWEEP)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: ended(app))
        await pilot.pause(0.6)  # one repaint of the timer
        for name, panel in panels(app).items():
            assert panel.state == "done", name
            subtitle = str(panel.border_subtitle)
            assert "3 members · best lr 0.01 · 1 diverged" in subtitle, subtitle
            assert "lr swept" in str(panel.border_title)
            assert len(panel.plot.curves) == 2  # the diverged member is not drawn
            assert panel.plot.curves[-1].colour != panel.plot.curves[0].colour  # best: bright
        await pilot.press("e")
        await pilot.pause(0.6)
        table = text_of(app.dashboard.equivalence.content)  # type: ignore[arg-type]
        assert "torch-manual (worst: member" in table and "match" in table
        await pilot.press("q")


async def test_m_shows_final_loss_against_the_swept_value_for_every_trainer() -> None:
    app = small_app(**ENDED_SWEEP)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: ended(app))
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, SweepScreen))
        screen = app.screen
        title = str(screen.query_one("#sweep-title", Static).render())
        assert "against lr" in title
        table = text_of(screen.query_one("#sweep-table", Static).content)  # type: ignore[arg-type]
        for name in panels(app):
            assert name in table
        assert table.count("#1 lr=0.01") == 4
        figure = screen.query_one("#sweep-plot").render().plain  # type: ignore[union-attr]
        assert "numpy" in figure and "*" in figure and "x" in figure
        await pilot.press("m")
        await wait_until(pilot, lambda: not isinstance(app.screen, SweepScreen))
        await pilot.press("q")


async def test_a_narrow_panel_still_says_how_many_members_diverged() -> None:
    app = small_app(**ENDED_SWEEP)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: ended(app))
        await pilot.pause(0.6)
        for panel in panels(app).values():
            subtitle = re.sub(r"\[[^]]*\]", "", str(panel.border_subtitle))  # the text shown
            assert subtitle == "done 60/60 · 1/3 diverged", subtitle  # lr 0.01, alone, would
            # read as the trainer's own lr; the best member is named when it fits beside
            assert len(subtitle) <= panel.size.width - 4
        await pilot.press("q")


async def test_m_without_a_sweep_says_how_to_start_one() -> None:
    app = small_app(iters=10**6, trainers=("numpy",))
    shown = notifications(app)
    async with app.run_test() as pilot:
        await pilot.press("m")
        await wait_until(pilot, lambda: bool(shown))
        assert shown == ["no sweep in this run: start one with --sweep lr=1e-7:1e-4:16, or in c"]
        assert not isinstance(app.screen, SweepScreen)
        await pilot.press("q")


async def test_halving_the_lr_of_a_sweep_that_sweeps_it_says_why_not() -> None:
    """Not the exception behind it ("ConfigError: --sweep lr sets what --lr sets ...")."""
    app = small_app(iters=10**6, sweep=SWEEP, trainers=("numpy",))
    shown = notifications(app)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: panels(app)["numpy"].active)
        await pilot.press("tab", "left_square_bracket")
        await wait_until(pilot, lambda: bool(shown))
        assert shown == ["the learning rate is swept: each member has its own (c changes them)"]
        assert "lr swept" in str(panels(app)["numpy"].border_title)
        await pilot.press("q")


async def test_a_sweep_typed_in_the_controls_restarts_every_trainer_as_a_family() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        await pilot.press("c")
        field = app.screen.query_one("#field-sweep--1", Input)
        field.value = "lr=1e-2"  # validated as the flag: one value, well formed
        field.value = "lr=1e-3:1e-1:"  # not a range: said, not applied
        await pilot.press("ctrl+s")
        error = str(app.screen.query_one("#controls-error", Static).render())
        assert "sweep 1" in error and "A:B:K" in error
        field.value = "lr=1e-3:1e-1:3"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: all(re.search("3 members|/3 diverged", str(p.border_subtitle)) and p.done > 5
                        for p in panels(app).values()),
        )  # fmt: skip
        assert app.config.sweep == (("lr", (0.001, 0.01, 0.1)),)
        await pilot.press("y")
        screen = app.screen
        assert isinstance(screen, TextScreen) and "--sweep lr=0.001:0.1:3" in screen.text
        _, config = parse(shlex.split(screen.text)[1:])
        assert config.sweep == app.config.sweep
        await pilot.press("escape", "q")


async def test_a_sweeps_replay_export_and_comparison_keep_its_members(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_log = await finished_run(tmp_path, "w", **ENDED_SWEEP)
    (csv_path,) = run_log.path.glob("losses-*.csv")
    header = csv_path.read_text().splitlines()[0].split(",")
    assert header[:4] == ["iteration", "numpy/member-0", "numpy/member-1", "numpy/member-2"]
    assert len(header) == 1 + 4 * 3
    past = load_run(run_log.path)
    assert (
        sorted(past.members["numpy"]) == [0, 1, 2]
        and past.member_ends["numpy"][2]["event"] == "diverged"
    )
    app = MlpApp(past.config, replay=past)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.6)
        for name, panel in panels(app).items():
            assert "best lr 0.01 · 1 diverged" in str(panel.border_subtitle)
            assert panel.family is not None and panel.family.logs[1].size == 6
            final = past.member_ends[name][1]["final_loss"]  # iteration 59's; the log's is 50's
            assert panel.stats_line().startswith(f"best loss {final:.4g} · "), panel.stats_line()
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, SweepScreen))
        await pilot.press("escape", "q")
    ghost_app = small_app(iters=10**6, trainers=("numpy",), autostart=False)
    ghost_app.compare = past  # a sweep compared: its best member is the ghost
    async with ghost_app.run_test() as pilot:
        ghost = panels(ghost_app)["numpy"].plot.curves[0]
        assert ghost.colour == (105, 105, 105) and ghost.series.count == 6
        assert ghost.series.stored().mean[-1] == past.members["numpy"][1].losses[-1]
        await pilot.press("q")


async def test_a_family_that_all_diverged_ends_at_the_last_divergence_live_and_replayed(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """Members diverge at iterations 5 and 4: the panel, the log's end and its replay say 5."""
    config = validate(RunConfig(**SMALL, iters=1000, trainers=("numpy",),
                                sweep=(("lr", (0.5, 10.0)),)))  # fmt: skip
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: ended(app))
        await settle(pilot)
        assert "diverged 5/1000" in screen_text(app)
        await pilot.press("q")
    run_log.close()
    past = load_run(run_log.path)
    assert past.ends["numpy"]["iters"] == 5
    app = MlpApp(past.config, replay=past)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "diverged 5/1000" in screen_text(app)
        await pilot.press("q")


def test_a_panel_draws_a_bounded_number_of_a_large_familys_members() -> None:
    from engine.events import FamilyPoints, LossPoints
    from engine.sweep.spec import members
    from tui.widgets.family import Family

    config = RunConfig(sweep=(("lr", tuple(float(k + 1) for k in range(200))),))
    family = Family(members(config), every=10)
    losses = [[float(k + 1)] * 3 for k in range(200)]
    losses[7] = [1.0, float("nan"), 1.0]  # diverged at its second iteration
    points = tuple(
        LossPoints("numpy", 0, row[: 1 if k == 7 else 3], [0.0, 0.1, 0.2][: 1 if k == 7 else 3],
                   member=member)
        for k, (row, member) in enumerate(zip(losses, members(config), strict=True))
    )  # fmt: skip
    family.take(FamilyPoints("numpy", points))
    assert family.best() == 0 and 0 in family.shown() and 7 not in family.shown()
    assert len(family.shown()) <= MAX_DRAWN
    assert family.summary() == f"200 members ({len(family.shown())} drawn) · best lr 1 · 1 diverged"
    # narrower, the share that diverged outlasts the best member (it says which values work),
    # whose values never go without "best" (alone they read as the trainer's own lr)
    widths = {31: "best lr 1 · 1/200 diverged", 22: "1/200 diverged", 12: "best lr 1", 8: ""}
    assert {width: family.summary(width) for width in widths} == widths


def family_with_finals(sweep: tuple[tuple[str, tuple[float, ...]], ...], finals: list[float]):  # type: ignore[no-untyped-def]
    """A family whose member k reached finals[k] (NaN: diverged at its first iteration)."""
    from engine.events import FamilyPoints, LossPoints
    from engine.sweep.spec import members
    from tui.widgets.family import Family

    grid = members(RunConfig(sweep=sweep))
    family = Family(grid, every=10)
    family.take(FamilyPoints("numpy", tuple(
        LossPoints("numpy", 0, [100.0, final], [0.0, 0.1], member=member)
        for member, final in zip(grid, finals, strict=True) if final == final
    )))  # fmt: skip
    return family


def test_the_sweep_view_averages_over_seeds_with_a_band_and_takes_the_best_over_another_axis() -> (
    None
):
    import numpy as np

    from tui.widgets.sweep_plot import axis_title, sweep_line

    seeds = family_with_finals((("seed", (0, 1)), ("lr", (1e-3, 1e-2))), [4.0, 1.0, 2.0, 3.0])
    line = sweep_line("numpy", seeds, 0.0)
    assert axis_title(seeds) == "lr (mean over seeds, min-max band)"
    assert line.x.tolist() == [1e-3, 1e-2] and line.y.tolist() == [3.0, 2.0]
    assert line.low is not None and line.high is not None
    assert line.low.tolist() == [2.0, 1.0] and line.high.tolist() == [4.0, 3.0]
    assert line.best == (1e-2, 1.0)  # member 1: seed 0, lr 1e-2
    nan = float("nan")
    grid = family_with_finals((("lr", (1e-3, 1e-2)), ("init_scale", (0.5, 2.0))),
                              [5.0, 6.0, nan, nan])  # fmt: skip
    line = sweep_line("numpy", grid, 0.0)
    assert axis_title(grid) == "lr (the best over init-scale)" and line.low is None
    assert line.y[0] == 5.0 and line.diverged.tolist() == [1e-2]  # both members there diverged
    # one seed of two diverged at lr 1e-2: no mean there, marked; its band spans the other seed
    partly = family_with_finals((("seed", (0, 1)), ("lr", (1e-3, 1e-2))), [4.0, 1e-9, 2.0, nan])
    line = sweep_line("numpy", partly, 0.0)
    assert line.y[0] == 3.0 and np.isnan(line.y[1]) and line.diverged.tolist() == [1e-2]
    assert line.low is not None and line.low[1] == 1e-9
    assert line.drawn().min() == 1e-9  # the y axis reaches the band below every mean


def test_each_members_smoothed_final_loss_is_the_plots_smoothing_over_every_batch() -> None:
    import numpy as np

    from engine.history import debiased_ema
    from tui.widgets.family import Smoothed

    losses = np.random.default_rng(1).random((500, 3)) * 10
    for weight in (0.6, 0.9, 0.99):
        smoothed = Smoothed(weight, np.zeros(3), np.zeros(3))
        smoothed.take(losses[:137])  # two batches of a live run
        smoothed.take(losses[137:])
        expected = [debiased_ema(losses[:, k], weight)[-1] for k in range(3)]
        np.testing.assert_allclose(smoothed.final(), expected, rtol=1e-12)


async def test_a_trainer_whose_members_all_diverged_says_so_and_the_others_run_on() -> None:
    """Nothing of its family is left to draw: the panel had raised on an empty figure."""
    app = small_app(iters=300, sweep=(("seed", (0, 1)),), lr={"numpy": 10.0})
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: panels(app)["numpy"].state == "diverged")
        await pilot.pause(0.6)  # a repaint of every plot
        assert "2 diverged" in str(panels(app)["numpy"].border_subtitle)
        await wait_until(pilot, lambda: ended(app))
        assert app.is_running
        await pilot.press("q")
