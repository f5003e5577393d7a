"""The headless command keeps its contract: JSON lines, the table, the run log, exit codes and
signals. Bad input is in test_cli_bad_input.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.engine.cli_runs import SMALL, run, write_npz
from tui.main import main


def test_jsonl_records_every_k_iterations_and_one_end_per_trainer(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--iters", "25", "--log-every", "10", "--jsonl", "-")
    records = [json.loads(line) for line in out.splitlines()]
    for name in ("numpy", "torch-manual", "torch-autograd", "torch-optim"):
        mine = [r for r in records if r["trainer"] == name]
        assert [r["iter"] for r in mine[:-1]] == [0, 10, 20]
        assert all(r["loss"] > 0 and r["t"] >= 0 for r in mine[:-1])
        assert mine[-1]["event"] == "done" and mine[-1]["iters"] == 25
    assert code == 0


def test_table_names_each_trainer_with_device_dtype_and_speed(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--iters", "5", "--trainers", "numpy,torch-optim")
    lines = out.splitlines()
    assert lines[0].split() == [
        "trainer",
        "status",
        "device",
        "dtype",
        "iters",
        "final",
        "loss",
        "wall",
        "s",
        "it/s",
    ]
    assert lines[1].split()[:5] == ["numpy", "done", "cpu", "float64", "5"]
    assert lines[2].split()[:5] == ["torch-optim", "done", "cpu", "float32", "5"]
    assert code == 0


def test_lr_for_one_trainer_and_divergence_still_exits_0(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.jsonl"
    code, _, _ = run(capsys, "--iters", "200", "--lr", "numpy=10", "--jsonl", str(log))
    ends = {r["trainer"]: r for r in map(json.loads, log.read_text().splitlines()) if "event" in r}
    assert ends["numpy"]["event"] == "diverged"
    assert {ends[n]["event"] for n in ("torch-manual", "torch-autograd", "torch-optim")} == {"done"}
    assert code == 0


def test_a_failed_trainer_exits_1_with_its_message(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.loop

    def broken(config, spec, start):  # type: ignore[no-untyped-def]
        raise MemoryError("out of memory (injected)")

    monkeypatch.setattr(engine.loop, "build_trainer", broken)
    code, _, err = run(capsys, "--iters", "5", "--trainers", "numpy")
    assert code == 1
    assert "numpy failed: MemoryError: out of memory (injected)" in err


def test_init_from_sets_sizes_and_start(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_npz(tmp_path / "start.npz")
    code, out, _ = run(
        capsys,
        "--iters",
        "3",
        "--init-from",
        str(path),
        "--jsonl",
        "-",
        "--log-every",
        "1",
        "--dtype",
        "float64",
    )
    records = [json.loads(line) for line in out.splitlines()]
    first = {r["trainer"]: r["loss"] for r in records if r.get("iter") == 0}
    with np.load(path) as f:
        expected = float(np.square(np.maximum(f["x"] @ f["w1"], 0) @ f["w2"] - f["y"]).sum())
    for name in ("numpy", "torch-manual", "torch-autograd", "torch-optim"):
        assert first[name] == pytest.approx(expected, rel=1e-12)
    assert code == 0


@pytest.mark.parametrize("to_group", [False, True], ids=["process", "group-repeated"])
def test_sigterm_stops_a_headless_run_and_still_reports(tmp_path, to_group: bool) -> None:  # type: ignore[no-untyped-def]
    """To the whole group, as `timeout` sends it (the command, then its group): the trainers'
    processes get it too, and a second reaches the run as it stops."""
    import os
    import signal
    import subprocess
    import sys
    import time

    deadline = time.monotonic() + 30

    command = [sys.executable, "-m", "tui.main", "--headless", *SMALL, "--iters", "100000000"]
    command += ["--trainers", "numpy,torch-manual", "--jsonl", "-", "--log-every", "1000",
                "--workers", "process"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as child:  # fmt: skip
        assert child.stdout is not None and child.stderr is not None
        first = json.loads(child.stdout.readline())  # training has begun
        assert first["iter"] == 0
        if to_group:  # again and again until it ends: later ones reach the run as it stops
            while child.poll() is None and time.monotonic() < deadline:
                os.killpg(child.pid, signal.SIGTERM)
                time.sleep(0.01)
        else:
            child.send_signal(signal.SIGTERM)
        rest, err = child.stdout.read(), child.stderr.read()
        code = child.wait(timeout=30)
    ends = [json.loads(line) for line in rest.splitlines() if '"event"' in line]
    assert code == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert sorted(end["trainer"] for end in ends) == ["numpy", "torch-manual"]
    assert {end["event"] for end in ends} == {"stopped"}, ends


def test_every_headless_run_leaves_a_complete_run_log(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--iters", "25", "--trainers", "numpy,torch-optim",
                 "--log-dir", str(tmp_path)])  # fmt: skip
    capsys.readouterr()
    (run_dir,) = tmp_path.iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["iters"] == 25 and [s["name"] for s in config["specs"]] == [
        "numpy",
        "torch-optim",
    ]
    records = [json.loads(line) for line in (run_dir / "losses.jsonl").read_text().splitlines()]
    for name in ("numpy", "torch-optim"):
        start, *mine = [r for r in records if r["trainer"] == name]
        assert start["event"] == "start" and start["spec"]["name"] == name
        assert start["settings"]["iters"] == 25 and start["settings"]["n"] == 8
        assert [r["iter"] for r in mine[:-1]] == [0, 10, 20] and mine[-1]["event"] == "done"
    assert code == 0


def test_a_headless_run_whose_log_cannot_be_written_warns_once_and_trains_on(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    from engine.runlog import RunLog
    from tests.engine.test_replay import FullDisk

    real_init = RunLog.__init__

    def on_a_full_disk(self, *args) -> None:  # type: ignore[no-untyped-def]
        real_init(self, *args)
        self.stream = self.writer.stream = FullDisk()

    monkeypatch.setattr(RunLog, "__init__", on_a_full_disk)
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--iters", "25", "--trainers", "numpy,torch-optim",
                 "--log-dir", str(tmp_path)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [
        ["numpy", "done"],
        ["torch-optim", "done"],
    ]
    assert err.count("run log: cannot write") == 1 and "No space left on device" in err
    assert err.startswith("mlp-tui: warning: ")


def test_a_fault_inside_the_gradient_check_is_one_line_and_exit_1(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.gradcheck

    def broken(config):  # type: ignore[no-untyped-def]
        raise RuntimeError("CUDA error: an illegal memory access was encountered\nmore (injected)")

    monkeypatch.setattr(engine.gradcheck, "check_gradients", broken)
    code = main(["--gradcheck", *SMALL])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == "mlp-tui: the gradient check failed: RuntimeError: CUDA error: an illegal " \
        "memory access was encountered\n"  # fmt: skip


def test_a_signal_while_the_trainers_start_ends_the_run_and_reports_each(
    capsys,  # type: ignore[no-untyped-def]
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import signal

    import engine.headless
    from engine.runner import Runner

    class SignalledWhileStarting(Runner):
        def start(self, names=None, config=None):  # type: ignore[no-untyped-def]
            super().start(["numpy"])  # the first child spawned, then SIGTERM arrives
            raise engine.headless.Interrupted(15)

    monkeypatch.setattr(engine.headless, "Runner", SignalledWhileStarting)

    def hung(_signum, _frame):  # type: ignore[no-untyped-def]
        raise TimeoutError("the run hung after a signal during start")

    previous = signal.signal(signal.SIGALRM, hung)  # fails the test rather than hanging it
    signal.alarm(60)
    try:
        code = main(["--headless", *SMALL, "--iters", "100000", "--trainers", "numpy,torch-manual"])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out = capsys.readouterr().out
    assert code == 143
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:] if line.strip()}
    assert rows == {"numpy": "stopped", "torch-manual": "stopped"}
