"""The headless command keeps its contract: flags, JSON lines, the table and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tui.main import main

SMALL = [
    "--n",
    "8",
    "--d-in",
    "12",
    "--hidden",
    "9",
    "--d-out",
    "5",
    "--workers",
    "thread",
    "--no-log",
]


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["--headless", *SMALL, *args])
    out, err = capsys.readouterr()
    return code, out, err


def write_npz(path: Path, **overrides: object) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "x": rng.standard_normal((6, 4)),
        "y": rng.standard_normal((6, 3)),
        "w1": rng.standard_normal((4, 5)),
        "w2": rng.standard_normal((5, 3)),
    }
    arrays.update(overrides)  # type: ignore[arg-type]
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


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


BAD_INPUT = [
    (["--n", "0"], "n must be a whole number above 0"),
    (["--hidden", "-3"], "hidden must be a whole number above 0"),
    (["--iters", "0"], "iterations must be a whole number above 0"),
    (["--log-every", "0"], "log interval must be a whole number above 0"),
    (["--iters", "ten"], "expected a whole number, got 'ten'"),
    (["--lr", "0"], "not a finite number above 0"),
    (["--lr", "nan"], "not a finite number above 0"),
    (["--lr", "numpy=inf"], "not a finite number above 0"),
    (["--lr", "bogus=1e-3"], "unknown trainer 'bogus'"),
    (["--trainers", "numpy,jax"], "unknown trainer 'jax'; accepted: numpy, torch-manual"),
    (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'; accepted: adam, sgd, momentum, rmsprop"),
    (["--dtype", "float16"], "unknown dtype 'float16'; accepted: float32, float64"),
    (["--device", "tpu"], "unknown device 'tpu'; accepted: cpu, cuda, cuda:N, mps"),
    (["--device", "cuda:7"], "not available"),
    (["--init", "xavier"], "unknown init 'xavier'; accepted: normal, default"),
    (["--jsonl", "/no/such/dir/out.jsonl"], "cannot write --jsonl /no/such/dir/out.jsonl"),
    (["--n", "100000000", "--d-in", "1000000"], "choose smaller sizes"),
    (["--workers", "fiber"], "unknown workers 'fiber'; accepted: thread, process"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line(capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("mlp-tui: error: ")
    assert message in err
    assert "Traceback" not in err


def _npz_cases(tmp: Path) -> list[tuple[Path, str]]:
    corrupt = tmp / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")
    return [
        (tmp / "missing.npz", "no such file"),
        (corrupt, "not a readable .npz file"),
        (write_npz(tmp / "no_w2.npz", w2=None), "missing array(s) w2"),
        (write_npz(tmp / "shape.npz", w1=np.ones((7, 5))), "w1 has shape (7, 5), expected (4, 5)"),
        (write_npz(tmp / "nan.npz", y=np.full((6, 3), np.nan)), "array y holds NaN or inf"),
        (write_npz(tmp / "one_bias.npz", b1=np.ones(5)), "only one of b1, b2"),
        (
            write_npz(tmp / "bad_bias.npz", b1=np.ones(4), b2=np.ones(3)),
            "b1 has shape (4,), expected (5,)",
        ),
        (write_npz(tmp / "text.npz", x=np.array([["a"] * 4] * 6)), "real numbers are needed"),
    ]


def test_bad_npz_files_exit_2_with_their_reason(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for path, message in _npz_cases(tmp_path):
        code, _, err = run(capsys, "--init-from", str(path))
        assert code == 2, path
        assert message in err and err.count("\n") == 1, err


def test_sigterm_stops_a_headless_run_and_still_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "tui.main", "--headless", *SMALL, "--iters", "100000000"]
    command += ["--trainers", "numpy,torch-manual", "--jsonl", "-", "--log-every", "1000"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        first = json.loads(child.stdout.readline())  # training has begun
        assert first["iter"] == 0
        child.send_signal(signal.SIGTERM)
        rest = child.stdout.read()
        code = child.wait(timeout=30)
    ends = [json.loads(line) for line in rest.splitlines() if '"event"' in line]
    assert code == 128 + signal.SIGTERM
    assert sorted(end["trainer"] for end in ends) == ["numpy", "torch-manual"]
    assert {end["event"] for end in ends} == {"stopped"}


def test_the_dashboard_without_a_terminal_points_to_headless_and_creates_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    (tmp_path / "out.jsonl").write_text("kept\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui.main", "--jsonl", "out.jsonl"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path.cwd())},
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "--headless" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no runs/ folder
    assert (tmp_path / "out.jsonl").read_text() == "kept\n"  # not truncated


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


def test_an_unwritable_log_dir_is_bad_input(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--log-dir", str(blocker / "runs")])
    _, err = capsys.readouterr()
    assert code == 2 and "cannot write the run log" in err and err.count("\n") == 1


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


def files_under(folder: Path) -> dict[str, bytes | None]:
    """Every file's content and every folder (None) under folder, to see that nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in folder.rglob("*")}  # fmt: skip


def _bad_files(tmp: Path) -> list[tuple[list[str], str]]:
    np.save(tmp / "plain.npy", np.ones((3, 3)))
    (tmp / "afile").write_text("not a directory")
    (tmp / "adir").mkdir()
    return [
        (["--seed", "-1"], "seed must be a whole number from 0 to 4294967295, got -1"),
        (["--seed", str(2**32)], "seed must be a whole number from 0 to 4294967295"),
        (["--init-from", "plain.npy"], "one array, not an .npz archive"),
        (["--init-from", "adir"], "not a readable .npz file"),
        (["--log-dir", "afile"], "afile is not a directory; give another --log-dir"),
        (["--jsonl", "adir"], "cannot write --jsonl adir: it is a directory"),
        (["--config", "adir"], "cannot read --config adir"),
        (["--replay", "afile"], "cannot read the run log afile"),
        (["--gradcheck", "--compare", "adir"], "leave out --replay, --compare and --jsonl"),
        (["--replay", "adir", "--jsonl", "out.jsonl"], "leave out --jsonl"),
        (["--jsonl", "out.jsonl", "--seed", "-3"], "seed must be"),
    ]


def test_bad_files_and_flags_exit_2_before_anything_is_created(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cases = _bad_files(tmp_path)
    (tmp_path / "out.jsonl").write_text("kept\n")
    before = files_under(tmp_path)
    args = [a for a in SMALL if a != "--no-log"]
    for flags, message in cases:
        headless = [] if {"--replay", "--compare"} & set(flags) else ["--headless"]
        code = main([*headless, *args, *flags])
        out, err = capsys.readouterr()
        assert (code, out) == (2, ""), flags
        assert err.count("\n") == 1 and message in err, err
        assert files_under(tmp_path) == before and not (tmp_path / "runs").exists(), flags


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
