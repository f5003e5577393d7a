"""Files for other tools from the app: k saves each trainer's weights wherever it trains, the
run goes to TensorBoard as it trains, and a replay converts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.config import RunConfig, validate
from engine.data import load_start
from engine.export.tensorboard import TensorBoardWriter
from engine.replay import load_run
from engine.runlog import RunLog
from tests.tui.conftest import SMALL, finished_run, panels, wait_until
from tui.app import MlpApp
from tui.screens.help import TextScreen


def messages(app: MlpApp) -> list[str]:
    """The notifications on screen."""
    return [str(notification.message) for notification in app._notifications]


def saved_iterations(folder: Path) -> dict[str, int]:
    """Each weight file's trainer and iteration, the file loaded as --init-from loads it."""
    found = {}
    for path in folder.glob("*.npz"):
        start = load_start(path)
        assert start.params is not None and start.data.x.shape == (8, 12)
        with np.load(path) as npz:
            found[path.stem] = int(npz["iteration"])
    return found


async def test_k_saves_the_weights_of_running_paused_and_ended_trainers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = validate(RunConfig(**SMALL, iters=10**6, trainers=("numpy", "torch-optim")))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path)
    app = MlpApp(config, None, "process", run_log=run_log)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 20 for p in panels(app).values()))
        await pilot.press("tab", "space", "k")  # paused: answered while holding
        await wait_until(pilot, lambda: any("wrote" in m for m in messages(app)))
        (folder,) = run_log.path.glob("weights-*")
        paused_at = {name: panel.done for name, panel in panels(app).items()}
        assert saved_iterations(folder) == paused_at
        assert str(folder / "numpy.npz") in messages(app)[-1]
        await pilot.press("q")
    run_log.close()
    ended = await finished_run(
        tmp_path / "ended", "k", iters=30, trainers=("numpy", "torch-manual")
    )
    (folder,) = ended.path.glob("weights-*")
    assert saved_iterations(folder) == {"numpy": 30, "torch-manual": 30}


async def test_k_while_training_saves_where_each_trainer_has_got_to(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # --no-log: weights-<time>/ in the current folder
    config = validate(RunConfig(**SMALL, iters=10**6, trainers=("numpy", "torch-autograd")))  # type: ignore[arg-type]
    app = MlpApp(config, None, "thread")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        await pilot.press("k")
        await wait_until(pilot, lambda: any("wrote" in m for m in messages(app)))
        (folder,) = tmp_path.glob("weights-*")
        saved = saved_iterations(folder)
        assert sorted(saved) == ["numpy", "torch-autograd"] and min(saved.values()) > 0
        await pilot.press("q")


async def test_an_app_run_writes_the_logged_losses_to_tensorboard(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = validate(RunConfig(**SMALL, iters=45, trainers=("numpy", "torch-optim")))  # type: ignore[arg-type]
    run_log = RunLog(config, tmp_path / "runs")
    writer = TensorBoardWriter(tmp_path / "tb", run_log.path.name, config)
    app = MlpApp(config, None, "process", run_log=run_log, tensorboard=writer)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: not any(p.active for p in panels(app).values()))
        await pilot.press("y")
        screen = app.screen
        assert isinstance(screen, TextScreen) and f"--tensorboard {tmp_path / 'tb'}" in screen.text
        await pilot.press("escape", "q")
    run_log.close()
    assert writer.close() == ""
    logged = [json.loads(line) for line in (run_log.path / "losses.jsonl").open()]
    for name in ("numpy", "torch-optim"):
        reader = EventAccumulator(str(tmp_path / "tb" / run_log.path.name / name))
        reader.Reload()
        points = [(s.step, s.value) for s in reader.Scalars("loss")]
        expected = [(r["iter"], float(np.float32(r["loss"]))) for r in logged
                    if r["trainer"] == name and "iter" in r]  # fmt: skip
        assert points == expected and len(points) == 5


async def test_a_replay_converts_in_a_worker_and_keeps_k_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_log = await finished_run(tmp_path / "runs", iters=25, trainers=("numpy",))
    past = load_run(run_log.path)
    app = MlpApp(past.config, replay=past, convert_to=tmp_path / "tb")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: any(m.startswith("wrote") for m in messages(app)))
        assert (tmp_path / "tb" / run_log.path.name / "numpy").is_dir()
        await pilot.press("k")
        assert not list(run_log.path.glob("weights-*")) and not list(Path.cwd().glob("weights-*"))
        await pilot.press("q")
