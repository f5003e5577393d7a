"""The tweak loop as a user drives it: each change restarts exactly what it concerns, no key can
stop, freeze or end a run, and one trainer can be paused or restarted alone."""

from __future__ import annotations

import threading

from textual.pilot import Pilot
from textual.widgets import Select

from tests.tui.conftest import notifications, panels, paused_app, small_app, wait_until
from tui.app import MlpApp
from tui.commands import ACTIONS
from tui.screens.controls import ControlsScreen

SGD = ("numpy", "torch-manual", "torch-optim")


def held(app: MlpApp) -> dict[str, tuple[str, int]]:
    return {name: (panel.state, panel.done) for name, panel in panels(app).items()}


async def apply_controls(pilot: Pilot, app: MlpApp, **selects: object) -> None:
    await pilot.press("c")
    assert isinstance(app.screen, ControlsScreen)
    for select_id, value in selects.items():
        app.screen.query_one(f"#{select_id.replace('_', '-')}", Select).value = value
    await pilot.press("ctrl+s")
    assert not isinstance(app.screen, ControlsScreen)


async def test_apply_without_a_change_leaves_every_trainer_as_it_was() -> None:
    app = small_app(iters=10**7, trainers=SGD)
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        at = await paused_app(pilot, app)
        await apply_controls(pilot, app)
        await wait_until(pilot, lambda: any("nothing changed" in text for text in shown))
        await pilot.pause(0.2)  # a restart, had there been one, would have shown by now
        assert held(app) == {name: ("paused", done) for name, done in at.items()}
        await pilot.press("space")  # and they go on from there
        await wait_until(pilot, lambda: all(p.done > at[n] + 10 for n, p in panels(app).items()))
        await pilot.press("q")


async def test_float64_when_same_start_already_gives_it_changes_nothing() -> None:
    app = small_app(iters=10**7, trainers=SGD, same_start=True)
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        at = await paused_app(pilot, app)
        await apply_controls(pilot, app, dtype="float64")
        await wait_until(pilot, lambda: any("nothing changed" in text for text in shown))
        assert held(app) == {name: ("paused", done) for name, done in at.items()}
        await pilot.press("q")


async def test_a_new_optimizer_restarts_torch_optim_alone() -> None:
    app = small_app(iters=10**7, trainers=SGD)
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        at = await paused_app(pilot, app)
        await apply_controls(pilot, app, optimizer="sgd")
        assert any("restarting torch-optim" in text for text in shown)
        optim = panels(app)["torch-optim"]  # held as the others: its first loss, paused
        await wait_until(pilot, lambda: (optim.state, optim.done) == ("paused", 1))
        assert held(app)["numpy"] == ("paused", at["numpy"])
        assert held(app)["torch-manual"] == ("paused", at["torch-manual"])
        await pilot.press("q")


async def test_p_and_shift_r_act_on_the_focused_trainer_only() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(120, 36)) as pilot:
        numpy_panel, torch_panel = panels(app)["numpy"], panels(app)["torch-manual"]
        await wait_until(pilot, lambda: numpy_panel.done > 5 and torch_panel.done > 5)
        assert app.focused is numpy_panel
        await pilot.press("p")
        await wait_until(pilot, lambda: numpy_panel.state == "paused")
        going = torch_panel.done
        await wait_until(pilot, lambda: torch_panel.done > going + 10)
        assert torch_panel.state == "running" and numpy_panel.state == "paused"
        await pilot.press("right", "R")  # restart torch-manual; numpy stays paused where it was
        held_at = numpy_panel.done
        await wait_until(pilot, lambda: torch_panel.state == "running")
        assert numpy_panel.state == "paused" and numpy_panel.done == held_at
        await pilot.press("left", "p")
        await wait_until(pilot, lambda: numpy_panel.done > held_at + 10)
        await pilot.press("q")


async def test_a_bad_learning_rate_from_a_key_is_a_notification_and_the_run_goes_on() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"), lr={"numpy": 5e-324})
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        await pilot.press("left_square_bracket")  # half the smallest float is 0: refused
        await wait_until(pilot, lambda: any("above 0" in text for text in shown))
        assert app.is_running and app.config.spec("numpy").lr == 5e-324
        going = {name: panel.done for name, panel in panels(app).items()}
        await wait_until(pilot, lambda: all(p.done > going[n] for n, p in panels(app).items()))
        await pilot.press("q")


async def test_every_key_in_turn_never_ends_the_app(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # what w and k write goes to the current folder without a log
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 5 for p in panels(app).values()))
        for key, action, _, _ in ACTIONS:
            if action in ("quit", "controls", "devices", "command_line"):
                continue  # quit is tried last; the dialogs are tried elsewhere
            await pilot.press(key)
            while app.screen is not app.screen_stack[0]:
                await pilot.press("escape")
            assert app.is_running, f"{key} ended the app"
        await pilot.press("r")  # whatever state the keys left them in, the trainers restart
        states = {"running", "paused"}
        await wait_until(pilot, lambda: all(p.state in states for p in panels(app).values()))
        all_held = all(p.state == "paused" for p in panels(app).values())
        await pilot.press(*["space"] * (1 if all_held else 2))  # and space runs them all
        await wait_until(pilot, lambda: all(p.state == "running" for p in panels(app).values()))
        await pilot.press("q")


async def test_the_screen_answers_while_a_trainer_takes_long_to_stop(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A step that won't end holds the restart, not the keys; the old trainer never runs beside
    its successor."""
    import engine.loop

    release, real_build = threading.Event(), engine.loop.build_trainer
    steps = {"count": 0}

    def build_slow(config, spec, start):  # type: ignore[no-untyped-def]
        trainer, real_step = real_build(config, spec, start), None

        def step():  # type: ignore[no-untyped-def]
            steps["count"] += 1
            if steps["count"] == 50:
                release.wait(60)  # the 50th step hangs until the test lets it go
            return real_step()

        real_step, trainer.step = trainer.step, step
        return trainer

    monkeypatch.setattr(engine.loop, "build_trainer", build_slow)  # thread workers see it
    app = small_app("thread", iters=10**7, trainers=("numpy",))
    async with app.run_test(size=(120, 36)) as pilot:
        panel = panels(app)["numpy"]
        await wait_until(pilot, lambda: steps["count"] >= 50)
        await pilot.press("r")
        assert "stopping…" in str(panel.border_subtitle)
        await pilot.press("o")  # the screen still answers keys
        assert app.dashboard.has_class("-overlay")
        trainers = [t for t in threading.enumerate() if t.name == "trainer-numpy"]
        assert len(trainers) == 1  # the new run waits for the old one's step
        release.set()
        await wait_until(pilot, lambda: panel.state == "running")
        assert not trainers[0].is_alive()
        assert len([t for t in threading.enumerate() if t.name == "trainer-numpy"]) == 1
        await pilot.press("q")


async def test_apply_without_a_change_once_every_trainer_ended_says_only_that() -> None:
    app = small_app(iters=30, trainers=SGD)
    shown = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await apply_controls(pilot, app)
        await wait_until(pilot, lambda: any("nothing changed" in text for text in shown))
        assert shown[-1] == "applied; nothing changed"  # not "all run on": none runs
        await pilot.press("q")
