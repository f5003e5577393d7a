"""Faults inside one trainer end it as failed, in its panel and in the run log; the rest go on."""

from __future__ import annotations

import json

import pytest
import torch

from engine.config import RunConfig, validate
from engine.runlog import RunLog
from tests.tui.conftest import SMALL, panels, wait_until
from tui.app import MlpApp
from tui.screens.help import TextScreen

INJECTED = {
    "a bug": RuntimeError("injected bug"),
    "GPU out of memory": torch.cuda.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 2.00 GiB (injected)"
    ),
}


@pytest.mark.parametrize("fault", list(INJECTED))
async def test_an_exception_fails_its_trainer_only_and_is_logged(
    fault: str,
    tmp_path,  # type: ignore[no-untyped-def]
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import engine.loop

    real_build = engine.loop.build_trainer

    def build_faulty(config, spec, start):  # type: ignore[no-untyped-def]
        trainer = real_build(config, spec, start)
        if spec.name == "torch-manual":
            steps = iter(range(10**9))

            def step():  # type: ignore[no-untyped-def]
                if next(steps) == 20:
                    raise INJECTED[fault]
                return real_step()

            real_step, trainer.step = trainer.step, step
        return trainer

    monkeypatch.setattr(engine.loop, "build_trainer", build_faulty)  # thread workers see it
    config = validate(RunConfig(**SMALL, iters=3000, trainers=("numpy", "torch-manual")))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "thread", run_log=run_log)
    async with app.run_test() as pilot:
        failed, other = panels(app)["torch-manual"], panels(app)["numpy"]
        await wait_until(pilot, lambda: failed.state == "failed")
        assert failed.done == 20 and str(INJECTED[fault]) in failed.message
        assert str(INJECTED[fault]) in str(failed.stats.render())  # shown in the panel
        await wait_until(pilot, lambda: other.state == "done")
        assert app.is_running
        await pilot.press("q")
    run_log.close()
    ends = [json.loads(line) for line in (run_log.path / "losses.jsonl").read_text().splitlines()
            if '"event": "failed"' in line or '"event": "done"' in line]  # fmt: skip
    assert {(end["trainer"], end["event"]) for end in ends} == {
        ("torch-manual", "failed"), ("numpy", "done")}  # fmt: skip
    assert str(INJECTED[fault]) in next(e["message"] for e in ends if e["event"] == "failed")


async def test_a_child_process_that_dies_fails_its_trainer_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = validate(RunConfig(**SMALL, iters=10**7, trainers=("numpy", "torch-manual")))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 10 for p in panels(app).values()))
        app.runner.workers["torch-manual"].process.kill()  # type: ignore[union-attr]
        dead, other = panels(app)["torch-manual"], panels(app)["numpy"]
        await wait_until(pilot, lambda: dead.state == "failed")
        assert "process died" in dead.message
        going = other.done
        await wait_until(pilot, lambda: other.done > going + 100)
        assert other.state == "running" and app.is_running
        while app.focused is not dead:
            await pilot.press("tab")
        await pilot.press("i")  # what the child wrote last: here only that it started
        assert isinstance(app.screen, TextScreen) and "--- torch-manual starts" in app.screen.text
        await pilot.press("escape", "q")
    run_log.close()


async def test_a_trainer_failing_in_its_process_shows_its_traceback_on_i(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A real failure reachable by the settings: a device no machine has, asked for past the
    # flags' check, makes torch raise while the child builds its trainer.
    config = validate(RunConfig(**SMALL, iters=200, trainers=("numpy", "torch-manual"),  # type: ignore[arg-type]
                                device="cuda:99"))  # fmt: skip
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test(size=(120, 36)) as pilot:
        failed, other = panels(app)["torch-manual"], panels(app)["numpy"]
        await wait_until(pilot, lambda: failed.state == "failed" and other.state == "done")
        shown = str(failed.stats.render())
        assert failed.message.splitlines()[-1] in shown  # the message's last line, in red
        while app.focused is not failed:
            await pilot.press("tab")
        await pilot.press("i")
        assert isinstance(app.screen, TextScreen)
        assert app.screen.title_text == "torch-manual: failed"
        details = app.screen.text
        assert "Traceback (most recent call last)" in details and "build_trainer" in details
        await pilot.press("escape", "q")
    run_log.close()
    end = next(json.loads(line) for line in (run_log.path / "losses.jsonl").read_text()
               .splitlines() if '"event": "failed"' in line)  # fmt: skip
    assert "build_trainer" in end["traceback"]
    stderr = (run_log.path / "stderr-torch-manual.log").read_text()
    assert "Traceback (most recent call last)" in stderr and end["message"] in stderr


async def test_a_run_log_on_a_full_disk_is_a_notice_and_training_goes_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.test_replay import FullDisk

    config = validate(RunConfig(**SMALL, iters=300, trainers=("numpy", "torch-optim")))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path)
    run_log.stream = run_log.writer.stream = FullDisk()  # type: ignore[assignment]
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications))
        notices = [str(n.message) for n in app._notifications]
        assert notices == [f"run log: cannot write {run_log.path}: No space left on device; "
                           "training goes on"]  # fmt: skip
        await wait_until(pilot, lambda: all(p.state == "done" for p in panels(app).values()))
        assert all(p.done == 300 for p in panels(app).values()) and app.is_running
        assert len(app._notifications) <= 1  # said once, not at every batch
        await pilot.press("q")
