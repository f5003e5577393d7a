"""A replay converted for TensorBoard holds every start of every trainer, as the live run wrote
them: a restart's points in `<trainer>-2`, a replaced sweep's in `<trainer>/member-k-2`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.config import RunConfig
from engine.events import STOPPED, Event, LossPoints, TrainerEnded, TrainerStarted
from engine.export.tensorboard import TensorBoardWriter, convert_run
from engine.replay import load_run
from engine.runlog import RunLog
from engine.sweep.spec import members
from tests.engine.conftest import small_config


def starts_of_one_trainer() -> list[Event]:
    """numpy's four starts: a sweep of 2 lrs, replaced by one of 3 (Apply), then no sweep,
    then that again (R). Every start stopped after 5 iterations, 1 s in."""
    first = small_config(trainers=("numpy",), log_every=2, sweep=(("lr", (1e-6, 1e-5)),))
    single = first.with_changes(sweep=())
    configs = [first, first.with_changes(sweep=(("lr", (1e-6, 1e-5, 1e-4)),)), single,
               single.with_changes(lr={"numpy": 2e-6})]  # fmt: skip
    events: list[Event] = []
    for run, config in enumerate(configs, start=1):
        events.append(TrainerStarted("numpy", config, run=run))
        for member in members(config) if config.sweep else [None]:
            losses = [10.0 * run + (member.index if member else 0) - i for i in range(5)]
            times = [0.1 * (i + 1) for i in range(5)]
            events.append(LossPoints("numpy", 0, losses, times, run=run, member=member))
        events.append(TrainerEnded("numpy", STOPPED, 5, 6.0, 1.0, run=run))
    return events


def runs_in(folder: Path) -> dict[str, tuple[list[tuple[int, float]], list[float], str]]:
    """Each TensorBoard run under folder: its loss points, their wall times and its settings."""
    runs = {}
    for events in folder.rglob("events.out.tfevents.*"):
        reader = EventAccumulator(str(events.parent))
        reader.Reload()
        scalars = reader.Scalars("loss")
        (text,) = reader.Tensors("settings/text_summary")
        runs[str(events.parent.relative_to(folder))] = (
            [(s.step, s.value) for s in scalars], [s.wall_time for s in scalars],
            text.tensor_proto.string_val[0].decode(),
        )  # fmt: skip
    return runs


def written_live_and_converted(tmp_path: Path) -> tuple[Path, Path, Path]:
    events = starts_of_one_trainer()
    config = events[0].config  # type: ignore[attr-defined]
    assert isinstance(config, RunConfig)
    run_log = RunLog(config, tmp_path / "runs")
    live = TensorBoardWriter(tmp_path / "live", run_log.path.name, config)
    for event in events:
        run_log.write(event)
        live.write(event)
    run_log.close()
    assert live.close() == ""
    convert_run(load_run(run_log.path), tmp_path / "converted")
    return run_log.path, tmp_path / "live" / run_log.path.name, tmp_path / "converted"


def test_a_converted_replay_holds_every_start_as_the_live_run_named_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_dir, live, converted = written_live_and_converted(tmp_path)
    live_runs, converted_runs = runs_in(live), runs_in(converted / run_dir.name)
    assert sorted(live_runs) == [
        "numpy", "numpy-2", "numpy/member-0", "numpy/member-0-2", "numpy/member-1",
        "numpy/member-1-2", "numpy/member-2",
    ]  # fmt: skip
    assert sorted(converted_runs) == sorted(live_runs)
    for name, (points, walls, settings) in live_runs.items():
        assert converted_runs[name][0] == points and len(points) == 3, name
        assert converted_runs[name][2] == settings, name  # that start's own settings
        assert all(abs(a - b) < 60 for a, b in zip(walls, converted_runs[name][1], strict=True))
    assert converted_runs["numpy-2"][0][0] == (0, 40.0)  # the fourth start, lr 2e-6
    assert "| lr | 2e-06 |" in converted_runs["numpy-2"][2]


def test_a_log_without_start_times_places_each_start_after_the_previous_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Logs written before start records held their time: a start begins where the trainer's
    previous one ended (its end record's wall), the first at the log's start."""
    run_dir, _, _ = written_live_and_converted(tmp_path)
    log = run_dir / "losses.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    log.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "time"}) + "\n"
                           for r in records))  # fmt: skip
    convert_run(load_run(run_dir), tmp_path / "old")
    runs = runs_in(tmp_path / "old" / run_dir.name)
    assert len(runs) == 7
    began = (run_dir / "config.json").stat().st_mtime
    order = ["numpy/member-0", "numpy/member-0-2", "numpy", "numpy-2"]
    for start, name in enumerate(order):  # each 1 s after the one before (its wall)
        walls = runs[name][1]
        assert abs(walls[0] - (began + start + 0.1)) < 1e-3, (name, walls[0] - began)


def test_each_start_is_placed_at_its_records_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A point's wall time is its start record's time plus its own t."""
    run_dir, _, _ = written_live_and_converted(tmp_path)
    log = run_dir / "losses.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    starts = [r for r in records if r.get("event") == "start"]
    for k, record in enumerate(starts):
        record["time"] = 1.7e9 + 1000.0 * k  # far apart, unlike when they were written
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    convert_run(load_run(run_dir), tmp_path / "placed")
    runs = runs_in(tmp_path / "placed" / run_dir.name)
    for k, name in enumerate(["numpy/member-0", "numpy/member-0-2", "numpy", "numpy-2"]):
        assert runs[name][1][0] == pytest.approx(1.7e9 + 1000.0 * k + 0.1, abs=1e-3), name
