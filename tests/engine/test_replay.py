"""Past runs read back from their run logs: what a replay shows and a comparison draws."""

from __future__ import annotations

import errno
import io
import json
import shlex

import numpy as np

from engine.cli import parse
from engine.events import LossPoints
from engine.flags import build_parser
from engine.replay import load_run
from engine.runlog import RunLog
from engine.runspec import command_line
from tests.engine.conftest import small_config
from tests.engine.test_lab import SMALL_FLAGS
from tui.main import main


def headless_run(tmp_path, *flags: str):  # type: ignore[no-untyped-def]
    code = main(["--headless", *SMALL_FLAGS, "--workers", "thread", "--log-dir", str(tmp_path),
                 *flags])  # fmt: skip
    assert code == 0
    (run_dir,) = tmp_path.iterdir()
    return run_dir


def test_a_run_log_reads_back_as_the_run_it_was(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_dir = headless_run(tmp_path, "--iters", "45", "--trainers", "numpy,torch-optim",
                           "--lr", "numpy=2e-6")  # fmt: skip
    capsys.readouterr()
    past = load_run(run_dir)
    assert past.config.trainers == ("numpy", "torch-optim") and past.config.iters == 45
    assert past.config.spec("numpy").lr == 2e-6
    for name in ("numpy", "torch-optim"):
        assert past.logs[name].iters.tolist() == [0, 10, 20, 30, 40]
        assert past.ends[name]["event"] == "done" and past.ends[name]["iters"] == 45
    records = [json.loads(line) for line in (run_dir / "losses.jsonl").read_text().splitlines()]
    first = next(r for r in records if r["trainer"] == "numpy" and r.get("iter") == 10)
    assert past.logs["numpy"].losses[1] == first["loss"]


def test_a_restarted_trainer_replays_its_last_start_and_a_cut_line_is_skipped(
    tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run_dir = headless_run(tmp_path, "--iters", "25", "--trainers", "numpy")
    capsys.readouterr()
    log = run_dir / "losses.jsonl"
    restart = {"trainer": "numpy", "event": "start", "run": 2, "iters": 100, "lr": 5e-7,
               "device": "cpu"}  # fmt: skip
    again = [{"trainer": "numpy", "iter": i, "loss": 9.0 - i / 10, "t": i / 100} for i in (0, 10)]
    log.write_text(log.read_text() + "\n".join(json.dumps(r) for r in [restart, *again])
                   + '\n{"trainer": "numpy", "it')  # fmt: skip
    past = load_run(run_dir)
    assert past.logs["numpy"].losses.tolist() == [9.0, 8.0]
    assert "numpy" not in past.ends  # the new start never ended: shown as unfinished
    assert past.config.iters == 100 and past.specs["numpy"].lr == 5e-7  # an old start record
    assert past.problems == [f"losses.jsonl line {len(log.read_text().splitlines())}: not JSON, "
                             "skipped"]  # fmt: skip


def test_replay_and_compare_refuse_what_is_not_a_run_log(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--replay", str(tmp_path / "nowhere")]) == 2
    assert "cannot read the run log" in capsys.readouterr().err
    (tmp_path / "config.json").write_text('{"iters": "many"}')
    assert main(["--compare", str(tmp_path)]) == 2
    assert "is not a run's settings" in capsys.readouterr().err
    assert main(["--replay", str(tmp_path), "--headless"]) == 2
    assert "leave out --headless" in capsys.readouterr().err


def _log_changed_mid_run(tmp_path):  # type: ignore[no-untyped-def]
    """A run log as the app writes it: both trainers start, then torch-optim restarts with
    other sizes, seed, optimizer, dtype and lr."""
    first = small_config(iters=30, trainers=("numpy", "torch-optim"))
    second = first.with_changes(n=16, seed=7, optimizer="sgd", dtype="float64",
                                lr={"torch-optim": 1e-3})  # fmt: skip
    run_log = RunLog(first, tmp_path)
    for name in first.trainers:
        run_log.mark_start(first, name, 1)
        run_log.write(LossPoints(name, 0, [5.0, 4.0, 3.0], [0.0, 0.1, 0.2], run=1))
    run_log.mark_start(second, "torch-optim", 2)
    run_log.write(LossPoints("torch-optim", 0, [9.0] * 11, [0.0] * 11, run=2))
    run_log.close()
    return run_log.path, first, second


def test_a_replay_takes_the_settings_of_each_trainers_last_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, first, second = _log_changed_mid_run(tmp_path)
    past = load_run(path)
    assert past.specs["torch-optim"] == second.spec("torch-optim")
    assert past.specs["torch-optim"].optimizer == "sgd" and past.specs["torch-optim"].seed == 7 + 4
    assert past.specs["numpy"] == first.spec("numpy")  # not restarted: its own start's settings
    assert past.logs["torch-optim"].losses.tolist() == [9.0, 9.0]  # the second start's points
    line = command_line(past.config, build_parser())
    for flag in ("--n 16", "--seed 7", "--optimizer sgd", "--dtype float64", "torch-optim=0.001"):
        assert flag in line
    _, again = parse(shlex.split(line)[1:])
    assert again.spec("torch-optim") == second.spec("torch-optim") and again.n == 16


def test_a_corrupt_line_is_named_and_the_records_after_it_still_count(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_dir = headless_run(tmp_path, "--iters", "45", "--trainers", "numpy")
    capsys.readouterr()
    log = run_dir / "losses.jsonl"
    lines = log.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if '"iter": 20,' in line)
    lines[number] = '{"trainer": "numpy", "iter": 2\x00garbage'
    log.write_text("\n".join(lines) + "\n")
    past = load_run(run_dir)
    assert past.problems == [f"losses.jsonl line {number + 1}: not JSON, skipped"]
    assert past.logs["numpy"].iters.tolist() == [0, 10, 20, 30, 40]  # not cut short at 10
    assert np.isnan(past.logs["numpy"].losses[2]) and np.isfinite(past.logs["numpy"].losses[3])
    assert past.ends["numpy"]["event"] == "done"


def test_a_full_disk_turns_the_run_log_off_once_and_says_why(tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_log = RunLog(small_config(trainers=("numpy",)), tmp_path)
    told: list[str] = []
    run_log.on_error = told.append
    run_log.stream = run_log.writer.stream = FullDisk()  # type: ignore[assignment]
    run_log.mark_start(small_config(trainers=("numpy",)), "numpy", 1)
    run_log.write(LossPoints("numpy", 0, [1.0], [0.0]))
    run_log.close()
    assert told == [f"run log: cannot write {run_log.path}: No space left on device; "
                    "training goes on"]  # fmt: skip


class FullDisk(io.StringIO):
    """A stream on a full disk: every write fails as it would there."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")
