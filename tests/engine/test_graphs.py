"""CUDA graphs' settings, fallback and K-step loop contract, on the CPU (captures faked there)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import engine.config
import engine.loop
import engine.torch_graphs
from engine.config import ConfigError, RunConfig, validate
from engine.events import FamilyPoints, LossPoints, TrainerEnded
from engine.gradcheck import check_gradients
from engine.loop import Gate, train
from engine.replay import load_run
from engine.runspec import command_line
from tests.engine.cli_runs import SMALL
from tests.engine.conftest import build, member_losses, small_config
from tui.main import main

TORCH = ("torch-manual", "torch-autograd", "torch-optim")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--graphs", "on"], "--graphs on needs a CUDA device, not 'cpu'; accepted: auto, off"),
        (["--graphs", "yes"], "unknown graphs setting 'yes'; accepted: auto, on, off"),
        (["--matmul-precision", "medium"], "unknown matmul precision 'medium'; accepted: highest"),
        (["--device", "mps", "--dtype", "float64"], "MPS has no float64"),
        (["--device", "mps", "--same-start", "--dtype", "float64"], "MPS has no float64"),
    ],
)
def test_bad_graphs_precision_or_mps_float64_exit_2_with_one_line(  # type: ignore[no-untyped-def]
    capsys, tmp_path: Path, args: list[str], expected: str
) -> None:
    code = main(["--headless", *SMALL, "--log-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # no run folder


def test_auto_is_off_on_cpu_and_on_for_cuda_devices() -> None:
    on_cpu = small_config()
    assert not any(spec.graphs for spec in on_cpu.specs())
    on_cuda = validate(RunConfig(device="cuda:0"), fits_here=False)  # the device is not opened
    assert [spec.graphs for spec in on_cuda.specs()] == [False, True, True, True]  # not numpy
    off = validate(RunConfig(device="cuda:0", graphs="off"), fits_here=False)
    assert not any(spec.graphs for spec in off.specs())


def test_graphs_and_precision_reach_the_command_line() -> None:
    from engine.flags import build_parser

    config = small_config(graphs="off", matmul_precision="high")
    line = command_line(config, build_parser())
    assert "--graphs off" in line and "--matmul-precision high" in line
    assert "--graphs" not in command_line(small_config(), build_parser())


def test_mps_same_start_runs_in_float32_and_refuses_the_float64_gradient_check() -> None:
    config = validate(RunConfig(device="mps", same_start=True), fits_here=False)
    assert {spec.dtype for spec in config.specs()} == {"float32"}
    with pytest.raises(ConfigError, match="MPS has no float64"):
        check_gradients(config)


@pytest.mark.parametrize("name", TORCH)
def test_a_new_lr_in_the_lr_tensor_is_what_the_next_step_uses(name: str) -> None:
    config = small_config(same_start=True, dtype="float64", optimizer="sgd", lr={name: 1e-6})
    trainer, reference = build(config, name), build(config, "numpy")  # plain SGD both
    trainer.step(), reference.step()
    lr_tensor = trainer.lr
    trainer.set_lr(3e-3)
    reference.lr = 3e-3
    assert trainer.lr is lr_tensor  # changed in place: a captured graph reads the same storage
    ours = np.array([float(trainer.step()) for _ in range(5)])
    expected = np.array([reference.step() for _ in range(5)])
    np.testing.assert_allclose(ours, expected, rtol=1e-9)
    unchanged = build(config, name)
    unchanged.step()
    assert not np.allclose([float(unchanged.step()) for _ in range(5)], ours, rtol=1e-6)


def test_float64_sgd_whose_fused_kernel_reads_lr_as_float32_takes_a_number(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As CUDA's fused SGD does (its other kernels read a tensor lr on the host, which a capture
    refuses). The graph then holds the lr: a new one is captured again, and taken."""

    class Float32LrOnly(torch.optim.SGD):
        def step(self, closure=None):  # type: ignore[no-untyped-def]
            lr = self.param_groups[0]["lr"]
            if self.defaults.get("fused") and torch.is_tensor(lr) and lr.dtype != torch.float32:
                raise RuntimeError("expected scalar type Float but found Double")
            return super().step(closure)

    config = small_config(same_start=True, dtype="float64", optimizer="sgd", iters=40)
    eager = build(config, "torch-optim")
    monkeypatch.setattr(torch.optim, "SGD", Float32LrOnly)
    captures: list[int] = []
    _graphs_here(monkeypatch, lambda *args: captures.append(1) or _fake_capture(*args))
    graphed = build(config, "torch-optim")
    assert graphed.trainer.optimizer.defaults["fused"]
    expected = [float(eager.step()) for _ in range(20)]
    eager.set_lr(3e-3)
    expected += [float(eager.step()) for _ in range(20)]
    before = graphed.steps(10).tolist() + graphed.steps(10).tolist()  # warm-up, then a replay
    graphed.set_lr(3e-3)
    after = graphed.steps(10).tolist() + graphed.steps(10).tolist()  # warm-up again, a replay
    assert before + after == expected
    assert len(captures) == 2 and graphed.mode == "graphs"


class _ReplayingGraph:
    """Stands in for a CUDA graph on the CPU: replay runs the k steps eagerly into the buffer."""

    def __init__(self, trainer, losses: torch.Tensor) -> None:  # type: ignore[no-untyped-def]
        self.trainer, self.losses = trainer, losses

    def replay(self) -> None:
        for i in range(len(self.losses)):
            self.losses[i].copy_(self.trainer.step())


def _fake_capture(trainer, k: int, shape: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    losses = torch.empty((k, *shape), dtype=trainer.x.dtype)
    return _ReplayingGraph(trainer, losses), losses


def _failing_capture(trainer, k: int, shape: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    """As torch's graph fails: an error inside the capture, then capture_end's own over it."""
    try:
        raise RuntimeError("operation not permitted when stream is capturing\nmore detail")
    except RuntimeError as error:
        raise RuntimeError("operation failed due to a previous error during capture") from error


def _graphs_here(monkeypatch, capture) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine.config, "uses_graphs", lambda graphs, device: True)
    monkeypatch.setattr(engine.torch_graphs, "capture", capture)


def _run(config: RunConfig, name: str, gate: Gate | None = None) -> list:
    events: list = []
    train(name, build(config, name), config.iters, gate or Gate(), events.append)
    return events


def _losses(events: list) -> list[float]:
    return [loss for e in events if isinstance(e, LossPoints) for loss in e.losses]


@pytest.mark.parametrize("name", TORCH)
def test_k_steps_per_replay_give_the_eager_losses_bitwise(monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    config = small_config(iters=57, dtype="float64")  # 5 replays of 10 after the warm-up, then 7
    eager = _run(config, name)
    _graphs_here(monkeypatch, _fake_capture)
    graphed = _run(config, name)
    assert _losses(graphed) == _losses(eager) and len(_losses(graphed)) == 57
    assert {e.mode for e in graphed if isinstance(e, LossPoints)} == {"graphs"}
    assert graphed[-1].status == "done" and graphed[-1].iters == 57


def test_a_failed_capture_runs_on_eagerly_with_one_notice_in_log_and_stderr(  # type: ignore[no-untyped-def]
    monkeypatch, capsys, tmp_path: Path
) -> None:
    args = ["--headless", *SMALL[:-1], "--iters", "45", "--log-every", "1", "--dtype", "float64",
            "--trainers", ",".join(TORCH), "--log-dir"]  # fmt: skip
    assert main([*args, str(tmp_path / "eager")]) == 0
    _graphs_here(monkeypatch, _failing_capture)
    assert main([*args, str(tmp_path / "fallback")]) == 0
    err = capsys.readouterr().err
    for name in TORCH:
        line = f"mlp-tui: {name}: CUDA graphs off, running eager: capture failed (RuntimeError: "
        assert err.count(line + "operation not permitted when stream is capturing)\n") == 1

    def records(run: str) -> list[dict]:
        (folder,) = (tmp_path / run).iterdir()
        lines = (folder / "losses.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    fallback = records("fallback")
    notices = [r for r in fallback if r.get("event") == "notice"]
    assert sorted(r["trainer"] for r in notices) == sorted(TORCH)
    assert all(r["iter"] == 0 and "capture failed" in r["message"] for r in notices)
    assert _same_losses(records("eager"), fallback)
    (folder,) = (tmp_path / "fallback").iterdir()
    assert {end["event"] for end in load_run(folder).ends.values()} == {"done"}


def test_trainers_in_threads_capture_one_at_a_time(monkeypatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """torch allows one capture underway per process: the stand-in refuses a second, as torch
    does, and waits a moment inside the first for another trainer's to begin."""
    underway, refused = threading.Lock(), threading.Event()

    def one_at_a_time(trainer, k: int, shape: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
        if not underway.acquire(blocking=False):
            refused.set()
            raise RuntimeError("another capture is underway in this process")
        try:
            refused.wait(0.3)  # the other threads are at their capture by then, if not held back
            return _fake_capture(trainer, k, shape)
        finally:
            underway.release()

    _graphs_here(monkeypatch, one_at_a_time)
    args = ["--headless", *SMALL[:-1], "--iters", "30", "--trainers", ",".join(TORCH),
            "--workers", "thread", "--log-dir", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    assert "capture failed" not in capsys.readouterr().err
    (folder,) = tmp_path.iterdir()
    assert {end["event"] for end in load_run(folder).ends.values()} == {"done"}


def _same_losses(a: list[dict], b: list[dict]) -> bool:
    def losses(records: list[dict]) -> dict:
        return {(r["trainer"], r["iter"]): r["loss"] for r in records if "loss" in r}

    return losses(a) == losses(b) and len(losses(a)) == 3 * 45


def test_a_graphed_batch_that_diverges_is_reported_at_its_first_bad_iteration(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = small_config(iters=200, lr={"torch-manual": 0.5})
    eager = _run(config, "torch-manual")
    _graphs_here(monkeypatch, _fake_capture)
    graphed = _run(config, "torch-manual")
    assert eager[-1].status == graphed[-1].status == "diverged"
    assert graphed[-1].iters == eager[-1].iters and graphed[-1].message == eager[-1].message
    assert _losses(graphed) == _losses(eager)


def test_a_paused_graphed_trainer_takes_exactly_one_step_per_n(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _graphs_here(monkeypatch, _fake_capture)
    config = small_config(iters=25)
    gate = Gate()
    gate.step()  # paused, one step let through
    events: list = []
    trainer = build(config, "torch-manual")
    calls: list[int] = []
    real_steps = trainer.steps
    trainer.steps = lambda k: calls.append(k) or real_steps(k)

    def emit(event) -> None:  # type: ignore[no-untyped-def]
        events.append(event)
        if type(event).__name__ == "TrainerPaused":
            if event.iters == 1:
                gate.step()
            elif event.iters == 2:
                gate.resume()

    train("torch-manual", trainer, config.iters, gate, emit)
    # the step let through is the first iteration, which a paused run takes before it holds
    assert [e.iters for e in events if type(e).__name__ == "TrainerPaused"] == [1, 2]
    assert calls == [10, 10]  # two batches of 10 after the two single steps, then 3 single
    ended = events[-1]
    assert isinstance(ended, TrainerEnded) and ended.status == "done" and ended.iters == 25
    assert len(_losses(events)) == 25


@pytest.mark.parametrize("name", TORCH)
def test_a_sweeps_batched_step_replays_its_members_losses_bitwise(monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    # lr 0.5 diverges within the first batches: its member is frozen and the graph captured again
    config = small_config(iters=57, dtype="float64", optimizer="sgd",
                          sweep=(("lr", (1e-4, 1e-3, 0.5)),))  # fmt: skip
    monkeypatch.setattr(engine.loop, "FLUSH_SECONDS", 0.0)  # a batch handed over per replay
    eager = _run_sweep(config, name)
    _graphs_here(monkeypatch, _fake_capture)
    captures: list[int] = []
    monkeypatch.setattr(engine.torch_graphs, "capture",
                        lambda *args: captures.append(1) or _fake_capture(*args))  # fmt: skip
    graphed = _run_sweep(config, name)
    assert member_losses(graphed) == member_losses(eager)
    assert [len(member_losses(graphed)[k]) for k in (0, 1)] == [57, 57]
    assert len(member_losses(graphed)[2]) < 57 and len(captures) == 2  # again after the freeze
    points = [e for e in graphed if isinstance(e, FamilyPoints)]
    assert {p.mode for e in points for p in e.points} == {"graphs"}
    assert graphed[-1].status == "done" and [m.status for m in graphed[-1].members] == [
        "done", "done", "diverged"]  # fmt: skip


def _run_sweep(config: RunConfig, name: str) -> list:
    from engine.sweep.loop import member_batcher

    events: list = []
    train(name, build(config, name), config.iters, Gate(), events.append, member_batcher(config))
    return events
