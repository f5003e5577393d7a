"""Keys take effect in the order pressed, however fast: a pause pressed while a restart is under
way holds the new run, a restart while paused comes up paused, and a restarting panel never
says its trainer stopped."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path

import pytest
from textual.content import Content
from textual.pilot import Pilot

from engine.config import RunConfig, validate
from engine.runlog import RunLog
from tests.tui.conftest import (
    SMALL,
    WAIT_SECONDS,
    notifications,
    panels,
    paused_app,
    small_app,
    wait_until,
)
from tui.app import MlpApp


def logged_app(log_dir: Path, iters: int = 10**7) -> tuple[MlpApp, RunLog]:
    """All four trainers, every iteration in the run log."""
    config = validate(RunConfig(**SMALL, iters=iters, log_every=1))  # type: ignore[arg-type]
    run_log = RunLog(config, log_dir)
    return MlpApp(config, None, "process", run_log=run_log), run_log


def logged_runs(run_log: RunLog) -> dict[str, list[list[int]]]:
    """Each trainer's runs as the run log holds them: the iterations logged after each start."""
    runs: dict[str, list[list[int]]] = defaultdict(list)
    for line in (run_log.path / "losses.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record.get("event") == "start":
            runs[record["trainer"]].append([])
        elif "loss" in record:
            runs[record["trainer"]][-1].append(record["iter"])
    return runs


def subtitles(app: MlpApp) -> dict[str, str]:
    """Each panel's state and progress as the screen shows them."""
    return {name: Content.from_markup(str(panel.border_subtitle)).plain
            for name, panel in panels(app).items()}  # fmt: skip


async def new_runs_settled(pilot: Pilot, app: MlpApp, run_log: RunLog, runs: int = 2) -> None:
    """Waits until every trainer's latest run has started and no panel waits on its trainer."""
    await wait_until(pilot, lambda: all(len(r) == runs for r in logged_runs(run_log).values()))
    await wait_until(
        pilot, lambda: all(p.state in ("running", "paused") for p in panels(app).values())
    )


async def held_then_step(pilot: Pilot, app: MlpApp, run_log: RunLog) -> dict[str, int]:
    """Every panel says paused, and n lets exactly one more iteration through: the run log
    holds each latest run's iterations up to there and no more. Returns where each held."""
    at = {name: panel.done for name, panel in panels(app).items()}
    shown = {name: f"paused {at[name]}/{panel.iters}" for name, panel in panels(app).items()}
    assert subtitles(app) == shown
    await pilot.press("n")
    await wait_until(pilot, lambda: all(p.done == at[n] + 1 for n, p in panels(app).items()))
    await wait_until(pilot, lambda: all(p.state == "paused" for p in panels(app).values()))
    logged = {name: runs[-1] for name, runs in logged_runs(run_log).items()}
    assert logged == {name: list(range(done + 1)) for name, done in at.items()}
    return at


async def resumes_with_space(pilot: Pilot, app: MlpApp) -> None:
    await pilot.press("space")
    await wait_until(pilot, lambda: all(p.done > 20 for p in panels(app).values()))
    assert all(text.startswith("running") for text in subtitles(app).values()), subtitles(app)


def restarts_held(app: MlpApp, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """From now on the app's restarts wait in the jobs' thread until the event returned is set."""
    go_on, real_start = threading.Event(), app.runner.start

    def start_when_let(*args: object) -> None:
        go_on.wait(WAIT_SECONDS)
        real_start(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(app.runner, "start", start_when_let)
    return go_on


@pytest.mark.parametrize("keys", [("r", "space"), ("r", "space", "r")])
async def test_space_pressed_while_a_restart_is_under_way_holds_the_new_runs(
    keys: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, run_log = logged_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        go_on = restarts_held(app, monkeypatch)
        await pilot.press(*keys)
        go_on.set()
        await new_runs_settled(pilot, app, run_log, runs=1 + keys.count("r"))
        assert set((await held_then_step(pilot, app, run_log)).values()) == {1}  # first losses
        await resumes_with_space(pilot, app)
        await pilot.press("q")
    run_log.close()


async def test_space_pressed_while_finished_trainers_restart_holds_the_new_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, run_log = logged_app(tmp_path, iters=50)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.state == "done" for p in panels(app).values()))
        go_on = restarts_held(app, monkeypatch)
        await pilot.press("r", "space")
        go_on.set()
        await new_runs_settled(pilot, app, run_log)
        assert set((await held_then_step(pilot, app, run_log)).values()) == {1}
        await pilot.press("q")
    run_log.close()


async def test_a_restart_while_paused_comes_up_paused(tmp_path: Path) -> None:
    app, run_log = logged_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await paused_app(pilot, app)
        await pilot.press("r")
        await new_runs_settled(pilot, app, run_log)
        assert set((await held_then_step(pilot, app, run_log)).values()) == {1}
        await resumes_with_space(pilot, app)
        await pilot.press("q")
    run_log.close()


async def test_a_new_learning_rate_while_paused_comes_up_paused() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(120, 36)) as pilot:
        numpy_panel, torch_panel = panels(app)["numpy"], panels(app)["torch-manual"]
        at = await paused_app(pilot, app)
        await pilot.press("right_square_bracket")  # numpy, focused: a new run at twice the lr
        await wait_until(pilot, lambda: "lr 2e-06" in str(numpy_panel.border_title))
        await wait_until(pilot, lambda: numpy_panel.state == "paused")
        assert (numpy_panel.done, torch_panel.done) == (1, at["torch-manual"])
        await pilot.press("space")
        await wait_until(
            pilot, lambda: numpy_panel.done > 10 and torch_panel.done > at["torch-manual"] + 10
        )
        await pilot.press("q")


async def test_a_restarting_panel_says_starting_once_its_old_run_has_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """numpy stops at once while torch-manual's step holds the restart: numpy's panel says its
    trainer is starting, not that it stopped."""
    import engine.loop

    release, real_build, steps = threading.Event(), engine.loop.build_trainer, [0]

    def build_slow(config, spec, start):  # type: ignore[no-untyped-def]
        trainer = real_build(config, spec, start)
        real_step = trainer.step

        def step():  # type: ignore[no-untyped-def]
            steps[0] += 1
            if steps[0] == 50:
                release.wait(WAIT_SECONDS)  # torch-manual's 50th step hangs until let go
            return real_step()

        if spec.name == "torch-manual":
            trainer.step = step
        return trainer

    monkeypatch.setattr(engine.loop, "build_trainer", build_slow)  # thread workers see it
    app = small_app("thread", iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(120, 36)) as pilot:
        numpy_panel = panels(app)["numpy"]
        await wait_until(pilot, lambda: steps[0] >= 50 and numpy_panel.done > 5)
        await pilot.press("r")
        await wait_until(pilot, lambda: numpy_panel.state != "stopping")  # its old run ended
        assert subtitles(app)["numpy"].startswith("starting…"), subtitles(app)
        assert subtitles(app)["torch-manual"].startswith("stopping…"), subtitles(app)
        release.set()
        await wait_until(pilot, lambda: all(p.state == "running" for p in panels(app).values()))
        await pilot.press("q")


async def test_a_restart_that_cannot_start_leaves_the_panels_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.runner

    def no_memory(config: RunConfig) -> None:
        raise MemoryError("no room for the data")

    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        monkeypatch.setattr(engine.runner, "make_start", no_memory)
        await pilot.press("r")
        await wait_until(pilot, lambda: any("could not start" in text for text in shown))
        await wait_until(pilot, lambda: all(p.state == "stopped" for p in panels(app).values()))
        assert all(text.startswith("stopped") for text in subtitles(app).values())
        await pilot.press("q")


async def test_n_and_space_leave_an_ended_trainer_free_and_p_on_it_says_so(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """n once held every trainer, ended ones too, and space let go of the running ones alone:
    numpy's next run came up paused while the others ran."""
    import engine.loop

    real_build, failing = engine.loop.build_trainer, threading.Event()
    failing.set()

    def build(config, spec, start):  # type: ignore[no-untyped-def]
        if spec.name == "numpy" and failing.is_set():
            raise RuntimeError("no numpy this time")
        return real_build(config, spec, start)

    monkeypatch.setattr(engine.loop, "build_trainer", build)
    app = small_app("thread", iters=10**7, trainers=("numpy", "torch-manual"))
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        numpy, manual = panels(app)["numpy"], panels(app)["torch-manual"]
        await wait_until(pilot, lambda: numpy.state == "failed" and manual.done > 5)
        await pilot.press("n")
        await wait_until(pilot, lambda: manual.state == "paused")
        await pilot.press("space")
        await wait_until(pilot, lambda: manual.state == "running")
        numpy.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(shown))
        assert shown == ["numpy is not running: R restarts it"]
        failing.clear()
        await pilot.press("r")
        await wait_until(pilot, lambda: numpy.state == "running" and numpy.done > 5)
        await wait_until(pilot, lambda: manual.state == "running" and manual.done > 5)
        await pilot.press("q")
