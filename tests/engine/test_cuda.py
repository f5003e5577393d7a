"""CUDA graphs on a real GPU: the same losses as eager, no host sync in a step, lr honoured.

Marked `cuda` (`pytest -m cuda` runs only these); skipped where torch sees no CUDA device.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import RunConfig, validate
from engine.events import LossPoints, TrainerEnded
from engine.loop import Gate, train
from engine.runner import make_start
from engine.trainers import build_trainer

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

TORCH = ("torch-manual", "torch-autograd", "torch-optim")
CASES = [(name, "adam") for name in TORCH] + [
    ("torch-optim", optimizer) for optimizer in ("sgd", "momentum", "rmsprop")
]


def cuda_config(**changes: object) -> RunConfig:
    base = {"device": "cuda:0", "dtype": "float64", "iters": 97, "same_start": True}
    return validate(RunConfig(**{**base, **changes}))  # type: ignore[arg-type]


def run(config: RunConfig, name: str) -> tuple[list[float], list]:
    trainer = build_trainer(config, config.spec(name), make_start(config))
    events: list = []
    train(name, trainer, config.iters, Gate(), events.append)
    losses = [loss for e in events if isinstance(e, LossPoints) for loss in e.losses]
    return losses, events


@pytest.mark.parametrize(("name", "optimizer"), CASES)
def test_graphed_losses_equal_eager_ones(name: str, optimizer: str) -> None:
    eager, _ = run(cuda_config(graphs="off", optimizer=optimizer), name)
    graphed, events = run(cuda_config(graphs="on", optimizer=optimizer), name)
    points = [e for e in events if isinstance(e, LossPoints)]
    assert not any(e.notice for e in points), [e.notice for e in points]
    assert points[-1].mode == "graphs"
    assert len(graphed) == len(eager) == 97 and events[-1].status == "done"
    np.testing.assert_allclose(graphed, eager, rtol=1e-12)


@pytest.mark.parametrize(("name", "optimizer"), CASES)
def test_an_eager_step_does_not_wait_for_the_device(name: str, optimizer: str) -> None:
    config = cuda_config(graphs="off", optimizer=optimizer, dtype="float32")
    trainer = build_trainer(config, config.spec(name), make_start(config))
    trainer.step()  # first step: optimizer state is created
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            trainer.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize(
    ("name", "dtype"), [(name, "float32") for name in TORCH] + [("torch-optim", "float64")]
)
def test_a_replayed_graph_takes_a_new_lr(name: str, dtype: str) -> None:
    """Without recapture where the lr is a tensor on the device. float64 SGD holds it as a number
    (CUDA's fused kernel reads a tensor lr as float32): its graph is captured again."""
    config = cuda_config(graphs="on", optimizer="sgd", dtype=dtype)
    graphed = build_trainer(config, config.spec(name), make_start(config))
    eager_config = config.with_changes(graphs="off")
    eager = build_trainer(eager_config, eager_config.spec(name), make_start(config))
    eager_first = [float(eager.step()) for _ in range(20)]
    first = graphed.steps(10).tolist() + graphed.steps(10).tolist()  # warm-up, then a replay
    assert graphed.mode == "graphs"
    graph = graphed.graph
    graphed.set_lr(1e-5)
    eager.set_lr(1e-5)
    after = graphed.steps(10).tolist() + graphed.steps(10).tolist()
    assert graphed.mode == "graphs" and (graphed.graph is graph) == (dtype == "float32")
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(first, eager_first, rtol=rtol)
    np.testing.assert_allclose(after, [float(eager.step()) for _ in range(20)], rtol=rtol)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs a second CUDA device")
@pytest.mark.parametrize("name", TORCH)
def test_a_trainer_on_a_second_gpu_captures_there(name: str) -> None:
    """torch's default capture stream is cuda:0's: a trainer on cuda:1 captured on it records
    nothing, and its replays would leave the weights and losses unchanged."""
    eager, _ = run(cuda_config(device="cuda:1", graphs="off"), name)
    graphed, events = run(cuda_config(device="cuda:1", graphs="on"), name)
    assert [e.mode for e in events if isinstance(e, LossPoints)][-1] == "graphs"
    np.testing.assert_allclose(graphed, eager, rtol=1e-12)


def test_the_modules_a_fork_server_preloads_leave_cuda_uninitialised() -> None:
    """Trainers' processes are forked from a server that imported these; CUDA initialised
    there would be broken in every child."""
    import subprocess
    import sys

    from engine.workers import _PRELOAD
    from tests.checkout import checkout_env

    code = f"import torch, {', '.join(_PRELOAD)}; print(torch.cuda.is_initialized())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=checkout_env(), check=True)  # fmt: skip
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_three_graphed_trainers_side_by_side_equal_eager(mode: str) -> None:
    """In threads of one process they capture one at a time, and read losses while one does."""
    import queue

    from engine.runner import Runner

    def side_by_side(graphs: str) -> dict[str, list]:
        config = cuda_config(graphs=graphs, trainers=TORCH, iters=203)
        events: queue.Queue = queue.Queue()
        runner = Runner(config, events.put, mode)
        runner.start()
        seen: dict[str, list] = {name: [] for name in TORCH}
        ended = 0
        while ended < len(TORCH):
            event = events.get(timeout=120)
            ended += isinstance(event, TrainerEnded)
            if isinstance(event, (LossPoints, TrainerEnded)):
                seen[event.trainer].append(event)
        runner.stop()
        return seen

    eager, graphed = side_by_side("off"), side_by_side("on")
    for name in TORCH:
        points = [e for e in graphed[name] if isinstance(e, LossPoints)]
        assert not any(e.notice for e in points) and points[-1].mode == "graphs", name
        assert graphed[name][-1].status == "done", graphed[name][-1].message
        losses = [[loss for e in run[name] if isinstance(e, LossPoints) for loss in e.losses]
                  for run in (eager, graphed)]  # fmt: skip
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-12)


def test_divergence_in_a_graphed_batch_is_reported_at_its_first_iteration() -> None:
    config = cuda_config(iters=300, lr={"torch-manual": 0.5})
    eager = run(config.with_changes(graphs="off"), "torch-manual")[1][-1]
    graphed = run(config.with_changes(graphs="on"), "torch-manual")[1][-1]
    assert isinstance(graphed, TrainerEnded) and graphed.status == "diverged"
    assert (graphed.iters, graphed.message) == (eager.iters, eager.message)


def test_high_matmul_precision_is_set_for_the_run() -> None:
    config = cuda_config(dtype="float32", matmul_precision="high")
    build_trainer(config, config.spec("torch-manual"), make_start(config))
    try:
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision("highest")


def test_times_are_stamped_when_a_batch_has_finished() -> None:
    """At a size where a step takes milliseconds, the stamps follow the device, not the queue."""
    config = cuda_config(dtype="float32", n=2048, d_in=2048, hidden=2048, d_out=512, iters=60)
    _, events = run(config, "torch-manual")
    times = [t for e in events if isinstance(e, LossPoints) for t in e.times]
    end = events[-1]
    assert times == sorted(times) and len(times) == 60
    assert times[-1] <= end.wall and times[-1] >= 0.5 * end.wall


@pytest.mark.parametrize("name", TORCH)
def test_a_sweeps_graphed_members_equal_eager_ones_and_a_divergence_recaptures(name: str) -> None:
    from engine.events import FamilyPoints
    from engine.sweep.loop import member_batcher
    from tests.engine.conftest import member_losses

    sweep = (("lr", (1e-6, 1e-5, 1.0)),)  # lr 1: that member diverges, is frozen, goes on alone

    def run_sweep(graphs: str) -> list:
        config = cuda_config(graphs=graphs, optimizer="sgd", sweep=sweep)
        trainer = build_trainer(config, config.spec(name), make_start(config))
        events: list = []
        train(name, trainer, config.iters, Gate(), events.append, member_batcher(config))
        return events

    eager, graphed = run_sweep("off"), run_sweep("on")
    points = [p for e in graphed if isinstance(e, FamilyPoints) for p in e.points]
    assert not any(p.notice for p in points), [p.notice for p in points]
    assert points[-1].mode == "graphs"
    for k, losses in member_losses(eager).items():
        np.testing.assert_allclose(member_losses(graphed)[k], losses, rtol=1e-12)
    assert [m.status for m in graphed[-1].members] == ["done", "done", "diverged"]
