"""Bad input to `mlp-tui` exits 2 with one line saying what is wrong, before anything is made:
flags, .npz files, folders, the run log's place, a dashboard without a terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import cli
from tests.checkout import checkout_env
from tests.engine.cli_runs import SMALL, files_under, run, write_npz
from tui.main import main

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
        env=checkout_env(),
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "--headless" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no runs/ folder
    assert (tmp_path / "out.jsonl").read_text() == "kept\n"  # not truncated


def test_an_unwritable_log_dir_is_bad_input(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--log-dir", str(blocker / "runs")])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"mlp-tui: error: --log-dir {blocker / 'runs'}: {blocker} is not a dir")
    assert err.endswith("; accepted: a folder you can write\n")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_log_dir_that_cannot_be_made_says_why_and_what_is_accepted(capsys) -> None:  # type: ignore[no-untyped-def]
    """As root /proc passes access() and mkdir fails (No such file or directory); else /proc is
    not writable: either way the flag, what is wrong and what is accepted."""
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--log-dir", "/proc/nope"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and not Path("/proc/nope").exists()
    assert err.startswith("mlp-tui: error: --log-dir /proc/nope: ")
    assert err.endswith("; accepted: a folder you can write\n")


def test_options_the_dashboard_cannot_take_exit_2_before_anything_is_created(  # type: ignore[no-untyped-def]
    capsys, tmp_path, monkeypatch
) -> None:
    """A trainer named twice made two panels of one id (the app crashed) and, headless, waited
    for an end that never came; `--jsonl -` wrote JSON lines over the dashboard."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text('trainers = ["numpy", "torch-manual", "numpy"]\n')
    twice = ("mlp-tui: error: --trainers names numpy twice; accepted: numpy, torch-manual, "
             "torch-autograd, torch-optim, each once\n")  # fmt: skip
    cases = [
        (["--trainers", "numpy,numpy"], twice),
        (["--config", "run.toml"], twice),
        (["--headless", "--trainers", "numpy,torch-optim,numpy"], twice),
        (["--jsonl", "-"], "mlp-tui: error: --jsonl - (standard output) needs --headless: the "
                           "dashboard draws there; accepted with the dashboard: a file path\n"),
    ]  # fmt: skip
    for flags, message in cases:
        assert main([*SMALL[:-1], *flags]) == 2, flags
        assert capsys.readouterr() == ("", message)
        assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]  # no runs/
    assert main([*SMALL, "--headless", "--iters", "2", "--trainers", "numpy", "--jsonl", "-"]) == 0
    assert '"trainer": "numpy"' in capsys.readouterr().out


def _bad_files(tmp: Path) -> list[tuple[list[str], str]]:
    np.save(tmp / "plain.npy", np.ones((3, 3)))
    (tmp / "afile").write_text("not a directory")
    (tmp / "adir").mkdir()
    return [
        (["--seed", "-1"], "seed must be a whole number from 0 to 4294967295, got -1"),
        (["--seed", str(2**32)], "seed must be a whole number from 0 to 4294967295"),
        (["--init-from", "plain.npy"], "one array, not an .npz archive"),
        (["--init-from", "adir"], "not a readable .npz file"),
        (["--log-dir", "afile"], "--log-dir afile: afile is not a directory; accepted: a folder"),
        (["--jsonl", "adir"], "cannot write --jsonl adir: it is a directory"),
        (["--config", "adir"], "cannot read --config adir"),
        (["--replay", "afile"], "cannot read the run log afile"),
        (["--replay", "adir"], "adir is not a run log (it has no config.json)"),
        (["--init-from", "afile"], "afile: not a readable .npz file; save x, y, w1, w2 together"),
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


@pytest.mark.parametrize(
    ("torch_version", "numpy_version", "refused"),
    [("2.2.2+cu121", "2.4.6", True), ("2.2.2+cu121", "1.26.4", False), ("2.3.1", "2.4.6", False)],
)
def test_a_torch_built_for_numpy_1_beside_numpy_2_is_refused_before_anything_runs(  # type: ignore[no-untyped-def]
    capsys, monkeypatch, tmp_path, torch_version: str, numpy_version: str, refused: bool
) -> None:
    """Such a torch fails at its first array; the trainers would each end `failed` with
    "Numpy is not available". Only where a torch trainer runs: numpy alone needs no torch."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "version", lambda name: {"torch": torch_version}[name])
    monkeypatch.setattr(cli.np, "__version__", numpy_version)
    code = main(["--headless", *SMALL[:-1], "--iters", "3"])
    err = capsys.readouterr().err
    if refused:
        assert (code, files_under(tmp_path)) == (2, {})  # no run log
        assert err == (
            "mlp-tui: error: torch 2.2.2+cu121 was built for NumPy 1 and this is NumPy 2.4.6: "
            "pip install 'numpy<2', or torch 2.3 or later\n"
        )
    else:
        assert (code, err) == (0, "")
    assert main(["--headless", *SMALL, "--trainers", "numpy", "--iters", "3"]) == 0
