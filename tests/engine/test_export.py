"""Files for other tools: TensorBoard event files read back by TensorBoard's own reader, and
weight files that --init-from continues from exactly."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.cli import parse
from engine.data import load_start
from engine.flags import build_parser
from engine.runspec import command_line
from tests.engine.cli_runs import SMALL
from tui.main import main

TRAINERS = ("numpy", "torch-manual", "torch-autograd", "torch-optim")
SGD_F64 = ["--same-start", "--dtype", "float64", "--optimizer", "sgd", "--lr", "1e-3"]


def headless(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["--headless", *SMALL, *args])
    out, err = capsys.readouterr()
    return code, out, err


def logged_losses(lines: list[str]) -> dict[str, list[tuple[int, float]]]:
    """Each trainer's (iteration, loss) records, from JSON lines."""
    losses: dict[str, list[tuple[int, float]]] = {}
    for record in map(json.loads, lines):
        if "iter" in record:
            losses.setdefault(record["trainer"], []).append((record["iter"], record["loss"]))
    return losses


def tensorboard_losses(folder: Path) -> tuple[list[tuple[int, float]], list[float]]:
    """The (step, value) points of the scalar `loss` in one TensorBoard run, and wall times."""
    reader = EventAccumulator(str(folder))
    reader.Reload()
    scalars = reader.Scalars("loss")
    return [(s.step, s.value) for s in scalars], [s.wall_time for s in scalars]


def as_float32(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """TensorBoard keeps scalars as float32: the --jsonl values rounded the same way."""
    return [(step, float(np.float32(loss))) for step, loss in points]


def test_tensorboard_holds_exactly_the_jsonl_losses_of_a_headless_run(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    began = time.time()
    args = ["--iters", "45", "--log-every", "10", "--jsonl", "-", "--workers", "process"]
    code, out, _ = headless(capsys, *args, "--tensorboard", str(tmp_path / "tb"))
    assert code == 0
    (run,) = (tmp_path / "tb").iterdir()  # one folder per run: its id (a time-id with --no-log)
    assert sorted(child.name for child in run.iterdir()) == sorted(TRAINERS)
    for name, points in logged_losses(out.splitlines()).items():
        steps, walls = tensorboard_losses(run / name)
        assert [step for step, _ in points] == [0, 10, 20, 30, 40]
        assert steps == as_float32(points)
        assert began <= walls[0] <= walls[-1] <= time.time()
        reader = EventAccumulator(str(run / name))
        reader.Reload()
        (text,) = reader.Tensors("settings/text_summary")
        settings = text.tensor_proto.string_val[0].decode()
        assert f"| trainer | {name} |" in settings and "| iters | 45 |" in settings


def test_a_replay_converts_to_the_same_tensorboard_runs(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = [a for a in SMALL if a != "--no-log"]
    code = main(["--headless", *args, "--iters", "25", "--trainers", "numpy,torch-optim",
                 "--log-dir", str(tmp_path / "runs")])  # fmt: skip
    (run_dir,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    tb = tmp_path / "tb"
    code = main(["--headless", "--replay", str(run_dir), "--tensorboard", str(tb)])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("wrote ") and str(tb / run_dir.name / "numpy") in out
    logged = logged_losses((run_dir / "losses.jsonl").read_text().splitlines())
    started = (run_dir / "config.json").stat().st_mtime
    for name in ("numpy", "torch-optim"):
        steps, walls = tensorboard_losses(tb / run_dir.name / name)
        assert steps == as_float32(logged[name]) and [s for s, _ in steps] == [0, 10, 20]
        assert started <= walls[0] <= walls[-1] < started + 60
    code = main(["--headless", "--replay", str(run_dir), "--tensorboard", str(tb)])
    _, err = capsys.readouterr()  # a second conversion would double every point
    assert code == 2 and "exists; remove it or give another --tensorboard DIR" in err


def test_bad_output_flags_exit_2_before_anything_is_created(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "file"
    a_file.write_text("")
    logs = ["--log-dir", str(tmp_path / "runs")]
    cases = [
        (["--save-weights", str(a_file)], "--save-weights"),
        (["--save-weights", str(a_file / "w")], "is a file, so no directory can be made there"),
        (["--tensorboard", str(a_file)], "is a file; give a directory"),
    ]
    for args, message in cases:
        code, out, err = headless(capsys, *[a for a in SMALL if a != "--no-log"], *logs, *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err
    code = main([*SMALL, "--save-weights", str(tmp_path / "w")])  # the dashboard has k
    assert code == 2 and "in the dashboard, press k" in capsys.readouterr().err
    import engine.export.outputs

    monkeypatch.setattr(engine.export.outputs.importlib.util, "find_spec", lambda name: None)
    code, _, err = headless(capsys, "--tensorboard", str(tmp_path / "tb"))
    assert code == 2 and err.count("\n") == 1
    assert "needs the tensorboard package: pip install 'mlp-tui[tensorboard]'" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {key: npz[key] for key in npz.files}


def test_saved_weights_continue_exactly_where_they_stopped(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """200 iterations in one go equal 100, save, --init-from that file, 100 more: every SGD
    trainer, in child processes, float64."""
    common = [*SGD_F64, "--jsonl", "-", "--log-every", "10", "--workers", "process"]
    code, whole, _ = headless(
        capsys, *common, "--iters", "200", "--save-weights", str(tmp_path / "200")
    )
    assert code == 0
    code, _, err = headless(
        capsys, *common, "--iters", "100", "--save-weights", str(tmp_path / "100")
    )
    assert code == 0 and "wrote " in err and str(tmp_path / "100" / "numpy.npz") in err
    whole_losses = logged_losses(whole.splitlines())
    for name in TRAINERS:
        half = tmp_path / "100" / f"{name}.npz"
        assert int(weights(half)["iteration"]) == 100 and float(weights(half)["lr"]) == 1e-3
        start = load_start(half)  # the --init-from format, checked as --init-from checks it
        assert start.params is not None and start.params.b1 is not None
        again = ["--iters", "100", "--init-from", str(half), "--trainers", name]
        code, rest, _ = headless(capsys, *common, *again, "--save-weights", str(tmp_path / name))
        assert code == 0
        one_go, resumed = (
            weights(tmp_path / "200" / f"{name}.npz"),
            weights(tmp_path / name / f"{name}.npz"),
        )
        for key in ("x", "y", "w1", "w2", "b1", "b2"):
            np.testing.assert_allclose(
                resumed[key], one_go[key], rtol=1e-12, err_msg=f"{name} {key}"
            )
        continued = [(i + 100, loss) for i, loss in logged_losses(rest.splitlines())[name]]
        np.testing.assert_allclose(continued, whole_losses[name][10:], rtol=1e-12)


def test_a_stopped_headless_run_still_saves_its_weights(tmp_path) -> None:  # type: ignore[no-untyped-def]
    command = [sys.executable, "-m", "tui.main", "--headless", *SMALL, "--iters", "100000000",
               "--trainers", "numpy,torch-optim", "--jsonl", "-", "--log-every", "1000",
               "--save-weights", str(tmp_path / "w")]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        first = json.loads(child.stdout.readline())  # training has begun
        child.send_signal(signal.SIGTERM)
        rest, err = child.stdout.read(), child.stderr.read()
        code = child.wait(timeout=30)
    assert code == 128 + signal.SIGTERM and "wrote " in err
    ends = {r["trainer"]: r for r in map(json.loads, rest.splitlines()) if "event" in r}
    for name in ("numpy", "torch-optim"):
        saved = weights(tmp_path / "w" / f"{name}.npz")
        assert int(saved["iteration"]) == ends[name]["iters"]  # where it stopped
    assert ends[first["trainer"]]["iters"] > 0


def test_a_failed_trainer_is_named_without_weights(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.loop

    def broken(config, spec, start):  # type: ignore[no-untyped-def]
        raise MemoryError("out of memory (injected)")

    monkeypatch.setattr(engine.loop, "build_trainer", broken)
    code, out, _ = headless(
        capsys, "--iters", "5", "--trainers", "numpy", "--save-weights", str(tmp_path / "w")
    )
    assert code == 1 and "no weights from numpy (failed: MemoryError" in out
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("trainer", TRAINERS)
def test_weights_files_hold_the_init_from_arrays_in_numpy_orientation(
    capsys, tmp_path, trainer: str
) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = headless(
        capsys, "--iters", "3", "--trainers", trainer, "--save-weights", str(tmp_path)
    )
    saved = weights(tmp_path / f"{trainer}.npz")
    assert code == 0 and f"wrote {tmp_path / trainer}.npz" in out
    assert (
        saved["x"].shape == (8, 12) and saved["w1"].shape == (12, 9) and saved["w2"].shape == (9, 5)
    )
    assert all(array.dtype == np.float64 for array in saved.values() if array.ndim)
    assert ("b1" in saved) == (trainer not in ("numpy", "torch-manual"))  # the seed's biases


def test_run_specs_and_the_command_line_carry_the_output_flags(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "run.toml"
    spec.write_text(f'headless = true\ntensorboard = "{tmp_path / "tb"}"\nsave_weights = "w"\n')
    args, config = parse(["--config", str(spec)])
    assert args.tensorboard == tmp_path / "tb" and args.save_weights == Path("w")
    line = command_line(config, build_parser(), {"tensorboard": args.tensorboard})
    assert line.endswith(f"--tensorboard {tmp_path / 'tb'}")
    assert parse(shlex.split(line)[1:])[0].tensorboard == tmp_path / "tb"
    assert "--tensorboard" not in command_line(config, build_parser(), {"tensorboard": None})


def test_a_trainer_started_again_becomes_a_tensorboard_run_of_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from engine.config import RunConfig
    from engine.events import LossPoints, TrainerStarted
    from engine.export.tensorboard import TensorBoardWriter

    config = RunConfig(trainers=("numpy",), log_every=2)
    writer = TensorBoardWriter(tmp_path, "run", config)
    writer.write(LossPoints("numpy", 0, [4.0, 3.0, 2.0], [0.1, 0.2, 0.3], run=1))
    writer.write(TrainerStarted("numpy", config.with_changes(lr={"numpy": 2e-6}), run=2))
    writer.write(LossPoints("numpy", 0, [5.0, 4.5], [0.1, 0.2], run=2))
    assert writer.close() == ""
    assert tensorboard_losses(tmp_path / "run" / "numpy")[0] == [(0, 4.0), (2, 2.0)]
    assert tensorboard_losses(tmp_path / "run" / "numpy-2")[0] == [(0, 5.0)]
    reader = EventAccumulator(str(tmp_path / "run" / "numpy-2"))
    reader.Reload()
    (text,) = reader.Tensors("settings/text_summary")
    assert "| lr | 2e-06 |" in text.tensor_proto.string_val[0].decode()


def test_a_sweep_member_is_a_tensorboard_run_of_its_own(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    jsonl = tmp_path / "run.jsonl"
    code = main(["--headless", "--no-log", "--n", "8", "--d-in", "12", "--hidden", "9",
                 "--d-out", "5", "--iters", "30", "--trainers", "numpy", "--sweep", "lr=1e-4,1e-3",
                 "--jsonl", str(jsonl), "--tensorboard", str(tmp_path / "tb")])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    (run,) = (tmp_path / "tb").iterdir()
    for member in (0, 1):
        mine = [(r["iter"], r["loss"]) for r in records if r.get("member") == member
                and "loss" in r]  # fmt: skip
        assert tensorboard_losses(run / "numpy" / f"member-{member}")[0] == as_float32(mine)


def test_a_sweeps_replay_converts_each_member_as_the_live_run_wrote_it(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--headless", "--n", "8", "--d-in", "12", "--hidden", "9", "--d-out", "5",
                 "--iters", "30", "--trainers", "numpy", "--sweep", "lr=1e-4,1e-3",
                 "--log-dir", str(tmp_path / "runs")])  # fmt: skip
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert code == 0 and main(["--headless", "--replay", str(run_dir), "--tensorboard",
                               str(tmp_path / "tb")]) == 0  # fmt: skip
    capsys.readouterr()
    records = [json.loads(line) for line in (run_dir / "losses.jsonl").read_text().splitlines()]
    for member in (0, 1):
        mine = [(r["iter"], r["loss"]) for r in records if r.get("member") == member
                and "loss" in r]  # fmt: skip
        folder = tmp_path / "tb" / run_dir.name / "numpy" / f"member-{member}"
        assert tensorboard_losses(folder)[0] == as_float32(mine) and len(mine) == 3
