"""The lab's engine side: kept histories, equivalence verdicts, gradient checks, code, run specs."""

from __future__ import annotations

import inspect
import shlex
import textwrap

import numpy as np
import pytest

from engine.cli import parse
from engine.config import ConfigError
from engine.equivalence import equivalence
from engine.events import LossPoints
from engine.flags import build_parser
from engine.gradcheck import check_gradients
from engine.history import LossLog, losses_csv
from engine.numpy_mlp import NumpyMLP
from engine.runspec import command_line
from engine.source import STEP_METHODS, step_source
from tests.engine.conftest import build, small_config
from tui.main import main

SMALL_FLAGS = ["--n", "8", "--d-in", "12", "--hidden", "9", "--d-out", "5"]


def train_logs(config, steps: int = 60, break_numpy_lr: float = 1.0) -> dict[str, LossLog]:  # type: ignore[no-untyped-def]
    """Each trainer's losses over `steps` iterations, kept every log_every as the app keeps them."""
    logs = {}
    for name in config.trainers:
        trainer = build(config, name)
        if name == "torch-manual":
            trainer.lr *= break_numpy_lr
        losses = trainer.read_losses([trainer.step() for _ in range(steps)])
        logs[name] = LossLog(config.log_every)
        logs[name].add(LossPoints(name, 0, losses, [0.01 * i for i in range(steps)]))
    return logs


def test_a_log_keeps_every_kth_iteration_across_batches() -> None:
    log = LossLog(every=10)
    log.add(LossPoints("numpy", 0, [float(i) for i in range(15)], [0.0] * 15))
    log.add(LossPoints("numpy", 15, [float(i) for i in range(15, 31)], [0.0] * 16))
    assert log.iters.tolist() == [0, 10, 20, 30] and log.losses.tolist() == [0, 10, 20, 30]


def test_csv_has_an_iteration_column_and_one_column_per_trainer() -> None:
    numpy_log, torch_log = LossLog(10), LossLog(10)
    numpy_log.append([5.0, 4.0, 3.0], [0, 0, 0])
    torch_log.append([5.5, 4.5], [0, 0])
    lines = losses_csv({"numpy": numpy_log, "torch-optim": torch_log}).splitlines()
    assert lines == ["iteration,numpy,torch-optim", "0,5.0,5.5", "10,4.0,4.5", "20,3.0,"]


def test_same_start_implementations_match_and_a_changed_one_parts() -> None:
    config = small_config(same_start=True, optimizer="sgd", lr=dict.fromkeys(
        ("numpy", "torch-manual", "torch-autograd", "torch-optim"), 1e-3))  # fmt: skip
    report = equivalence(config, train_logs(config))
    assert report.reference == "numpy" and len(report.comparisons) == 3
    assert [c.verdict for c in report.comparisons] == ["match"] * 3
    assert all(c.worst < 1e-9 and c.latest_iter == 50 for c in report.comparisons)

    parted = equivalence(config, train_logs(config, break_numpy_lr=1.01))
    verdicts = {c.trainer: c.verdict for c in parted.comparisons}
    assert verdicts["torch-manual"] == "part at iteration 10" and verdicts["torch-optim"] == "match"


def test_equivalence_says_why_it_cannot_compare_and_what_is_expected_to_differ() -> None:
    assert "same start is off" in equivalence(small_config(), {}).reason
    config = small_config(same_start=True)  # torch-optim: Adam at 1e-4
    report = equivalence(config, train_logs(config, steps=20))
    optim = next(c for c in report.comparisons if c.trainer == "torch-optim")
    assert optim.verdict == "part at iteration 10"
    assert optim.expected == ("lr 0.0001 vs 1e-06", "adam vs plain SGD")
    diverged = equivalence(config, train_logs(config, steps=20), broken={"torch-manual": 4})
    manual = next(c for c in diverged.comparisons if c.trainer == "torch-manual")
    assert manual.verdict == "part at iteration 4"  # between two logged iterations


def test_float32_is_held_to_its_own_tolerance() -> None:
    config = small_config(same_start=True, dtype="float32", optimizer="sgd", lr=dict.fromkeys(
        ("numpy", "torch-manual", "torch-autograd", "torch-optim"), 1e-3))  # fmt: skip
    report = equivalence(config, train_logs(config))
    assert {c.tolerance for c in report.comparisons} == {1e-4}
    assert all(c.verdict == "match" for c in report.comparisons)


def test_gradient_check_passes_on_the_real_trainers_and_fails_a_broken_backward(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    config = small_config(seed=3)
    rows = check_gradients(config)
    assert {row.trainer for row in rows} == {"numpy", "torch-manual", "torch-autograd"}
    assert {row.method for row in rows if row.trainer == "torch-autograd"} == {
        "finite differences", "torch.autograd.gradcheck"}  # fmt: skip
    assert all(row.passed for row in rows)

    correct = NumpyMLP.backward

    def without_relu_mask(self, scale: float = 1.0) -> None:  # type: ignore[no-untyped-def]
        correct(self, scale)
        np.dot(self.grad_y_pred, self.w2.T, out=self.grad_h)  # mask dropped
        np.dot(self.x.T, self.grad_h, out=self.grad_w1)

    monkeypatch.setattr(NumpyMLP, "backward", without_relu_mask)
    broken = {(r.trainer, r.parameter): r.passed for r in check_gradients(config)}
    assert broken[("numpy", "w1")] is False and broken[("numpy", "w2")] is True
    assert broken[("torch-manual", "w1")] is True


def test_gradcheck_flag_prints_the_table_and_exits_by_the_result(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--gradcheck", *SMALL_FLAGS])
    out, _ = capsys.readouterr()
    assert code == 0 and "torch.autograd.gradcheck" in out and "FAIL" not in out
    assert out.count("pass") == len(out.splitlines()) - 1


@pytest.mark.parametrize("name", list(STEP_METHODS))
def test_the_code_view_shows_the_methods_that_run(name: str) -> None:
    import engine.torch_mlp

    module, class_name, methods = STEP_METHODS[name]
    cls = getattr(engine.numpy_mlp if module == "numpy_mlp.py" else engine.torch_mlp, class_name)
    source = step_source(name)
    for method in methods:
        assert textwrap.dedent(inspect.getsource(getattr(cls, method))).strip() in source


def test_a_toml_run_spec_takes_the_flags_keys_and_flags_override_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "run.toml"
    spec.write_text('iters = 500\nd-in = 12\nn = 8\nhidden = 9\nd_out = 5\nsame_start = true\n'
                    'trainers = ["numpy", "torch-optim"]\n[lr]\nnumpy = 2e-6\n')  # fmt: skip
    _, config = parse(["--config", str(spec)])
    assert (config.iters, config.d_in, config.trainers) == (500, 12, ("numpy", "torch-optim"))
    assert config.same_start and config.spec("numpy").lr == 2e-6
    _, config = parse(["--config", str(spec), "--iters", "7", "--lr", "numpy=3e-6"])
    assert config.iters == 7 and config.spec("numpy").lr == 3e-6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("iterations = 5\n", "unknown key 'iterations'"),
        ("iters = 1.5\n", "expected a whole number"),
        ("same_start = 1\n", "must be true or false"),
        ("iters = [1]\n", "must be a number or text"),
        ("iters = \n", "is not valid TOML"),
    ],
)
def test_bad_run_specs_say_what_is_wrong(tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "run.toml"
    spec.write_text(text)
    with pytest.raises(ConfigError, match=message) as refused:
        parse(["--config", str(spec)])
    assert str(spec) in str(refused.value)  # the file is named


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--same-start", "--optimizer", "sgd", "--lr", "1e-5", "--iters", "20"],
        ["--trainers", "numpy,torch-optim", "--lr", "torch-optim=3e-3", "--no-bias", "--seed", "4"],
        ["--dtype", "float32", "--init", "default", "--log-every", "5", "--d-in", "30"],
    ],
)
def test_the_command_line_reproduces_the_run(flags: list[str]) -> None:
    _, config = parse(flags)
    line = command_line(config, build_parser())
    _, again = parse(shlex.split(line)[1:])
    assert line.startswith("mlp-tui") and again.specs() == config.specs()
    assert command_line(again, build_parser()) == line
