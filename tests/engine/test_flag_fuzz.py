"""Random flags never end in a traceback: exit 0, 1 or 2, and bad input creates nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tui.main
from engine.config import RunConfig
from engine.runlog import RunLog
from tests.engine.cli_runs import files_under, write_npz

# Each flag's valid values, then invalid ones; paths are relative to a fresh folder per example.
VALUES = {
    "--trainers": (["numpy", "numpy,torch-optim"], ["jax", ",", ""]),
    "--iters": (["1", "3"], ["0", "-1", "ten"]),
    "--n": (["1", "4"], ["0", "-2", "x", "99999999999"]),
    "--d-in": (["1", "6"], ["0", "1e3"]),
    "--hidden": (["2"], ["0", ""]),
    "--d-out": (["1", "3"], ["-1"]),
    "--lr": (["1e-3", "numpy=1e-4"], ["0", "nan", "inf", "bogus=1", "torch-optim=-1", "=1"]),
    "--optimizer": (["adam", "sgd", "momentum", "rmsprop"], ["lbfgs", ""]),
    "--init": (["normal", "default"], ["xavier"]),
    "--dtype": (["float32", "float64"], ["float16"]),
    "--seed": (["0", "7", "4294967295"], ["-1", "4294967296", str(2**70), "abc"]),
    "--device": (["cpu"], ["cuda:99", "tpu", "", "cuda:x", "mps:0"]),
    "--init-from": (["start.npz"], ["plain.npy", "missing.npz", "adir", "corrupt.npz"]),
    "--log-every": (["1", "10"], ["0"]),
    "--jsonl": (["-", "out.jsonl"], ["nodir/out.jsonl", "adir", "afile/x"]),
    "--log-dir": (["logs", "adir"], ["afile/runs", "afile"]),
    "--config": (["run.toml"], ["bad.toml", "unknown.toml", "missing.toml", "adir"]),
    "--replay": (["past"], ["missing", "afile", "adir"]),
    "--compare": (["past"], ["missing", "afile"]),
    "--workers": (["thread", "process"], ["fiber"]),
}
SWITCHES = ["--no-bias", "--same-start", "--no-log", "--gradcheck"]
TINY = ["--n", "2", "--d-in", "3", "--hidden", "2", "--d-out", "2", "--iters", "3",
        "--workers", "thread"]  # fmt: skip


def value_of(flag: str) -> st.SearchStrategy[list[str]]:
    """The flag with a value: valid two times in three, so that later checks are reached."""
    valid, invalid = (st.sampled_from(values) for values in VALUES[flag])
    return st.one_of(valid, valid, invalid).map(lambda value: [flag, value])


flag_values = st.lists(
    st.sampled_from(sorted(VALUES)), unique=True, min_size=1, max_size=3
).flatmap(lambda flags: st.tuples(*map(value_of, flags)))
switches = st.lists(st.sampled_from(SWITCHES), unique=True, max_size=2)


def make_files(folder: Path) -> None:
    """The files the flags' values name: good ones and bad ones."""
    write_npz(folder / "start.npz")
    np.save(folder / "plain.npy", np.ones(3))
    (folder / "corrupt.npz").write_bytes(b"PK not really")
    (folder / "afile").write_text("a file")
    (folder / "adir").mkdir()
    (folder / "run.toml").write_text("iters = 2\nn = 3\nd_in = 4\nhidden = 2\nd_out = 2\n")
    (folder / "bad.toml").write_text("iters = = 2\n")
    (folder / "unknown.toml").write_text("speed = 2\n")
    past = RunLog(RunConfig(iters=2, n=3, d_in=4, hidden=2, d_out=2), folder / "runs")
    past.close()
    past.path.rename(folder / "past")


def train_instead(  # type: ignore[no-untyped-def]
    args, config: RunConfig, jsonl, run_log: RunLog | None, *past
) -> int:
    from engine.headless import run_headless

    return run_headless(config, jsonl, args.workers, run_log)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flags=flag_values, on=switches, headless=st.booleans())
def test_any_flags_end_in_0_1_or_2_and_bad_input_creates_nothing(  # type: ignore[no-untyped-def]
    flags: tuple[list[str], ...], on: list[str], headless: bool, capsys, monkeypatch
) -> None:
    # Runs really train, tiny; where the dashboard would, a headless run trains its settings.
    monkeypatch.setattr(tui.main, "terminal_problem", lambda: "")
    monkeypatch.setattr(tui.main, "run_dashboard", train_instead)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_files(folder)
        before = files_under(folder)
        old = os.getcwd()
        os.chdir(folder)
        try:
            argv = [*TINY, *(part for flag in flags for part in flag), *on]
            code = tui.main.main(argv + ["--headless"] * headless)
        finally:
            os.chdir(old)
        _, err = capsys.readouterr()
        assert code in (0, 1, 2)
        assert "Traceback" not in err
        if code == 2:
            assert err.count("\n") == 1 and err.startswith("mlp-tui: "), err
            assert files_under(folder) == before
