"""With the same start in float64 the four implementations give the same losses; the tolerance
the equivalence panel holds each dtype to (TF32's on CUDA with precision high)."""

from __future__ import annotations

import queue

import numpy as np

from engine.config import TRAINERS
from engine.events import LossPoints, TrainerEnded
from engine.runner import Runner
from tests.engine.conftest import build, small_config


def run_losses(config, mode: str = "thread") -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Every trainer's losses from a whole run through the runner."""
    events: queue.Queue = queue.Queue()
    runner = Runner(config, events.put, mode)
    runner.start()
    losses: dict[str, list[float]] = {name: [] for name in config.trainers}
    ended = 0
    while ended < len(config.trainers):
        event = events.get(timeout=60)
        if isinstance(event, LossPoints):
            assert event.first_iter == len(losses[event.trainer])
            losses[event.trainer].extend(event.losses)
        elif isinstance(event, TrainerEnded):
            assert event.status == "done", event
            ended += 1
    runner.stop()
    return losses


def test_sgd_trainers_agree_to_1e_9() -> None:
    config = small_config(
        same_start=True, dtype="float64", iters=50, optimizer="sgd", lr={"torch-optim": 1e-6}
    )
    losses = run_losses(config)
    assert len(losses["numpy"]) == 50
    assert losses["numpy"][-1] < losses["numpy"][0]  # it trains
    for name in TRAINERS[1:]:
        np.testing.assert_allclose(losses[name], losses["numpy"], rtol=1e-9, err_msg=name)


def test_without_bias_too() -> None:
    config = small_config(
        same_start=True,
        dtype="float64",
        iters=50,
        optimizer="sgd",
        no_bias=True,
        lr={"torch-optim": 1e-6},
    )
    losses = run_losses(config)
    for name in TRAINERS[1:]:
        np.testing.assert_allclose(losses[name], losses["numpy"], rtol=1e-9, err_msg=name)


def numpy_adam_losses(
    config, iters: int, lr: float, beta1=0.9, beta2=0.999, eps=1e-8
) -> list[float]:  # type: ignore[no-untyped-def]
    """Adam written out in numpy on the numpy trainer's forward and backward passes."""
    trainer = build(config, "numpy")
    params = trainer.parameters()
    m = {name: np.zeros_like(p) for name, p in params.items()}
    v = {name: np.zeros_like(p) for name, p in params.items()}
    losses = []
    for t in range(1, iters + 1):
        losses.append(trainer.forward())
        grads = trainer.gradients()
        for name, p in params.items():
            m[name] = beta1 * m[name] + (1 - beta1) * grads[name]
            v[name] = beta2 * v[name] + (1 - beta2) * grads[name] ** 2
            m_hat = m[name] / (1 - beta1**t)
            v_hat = v[name] / (1 - beta2**t)
            p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return losses


def test_adam_matches_a_numpy_reference() -> None:
    config = small_config(same_start=True, dtype="float64", iters=50, trainers=("torch-optim",))
    trainer = build(config, "torch-optim")
    torch_losses = trainer.read_losses([trainer.step() for _ in range(50)])
    reference = numpy_adam_losses(config, 50, lr=1e-4)
    np.testing.assert_allclose(torch_losses, reference, rtol=1e-9)


def test_process_workers_give_the_same_losses_as_threads() -> None:
    config = small_config(iters=30, trainers=("numpy", "torch-optim"))
    assert run_losses(config, "process") == run_losses(config, "thread")


def test_tf32_precision_holds_float32_to_the_tf32_tolerance_and_float64_to_its_own() -> None:
    """On CUDA, where TF32 is; on the CPU `high` changes nothing, nor the tolerance."""
    from engine.equivalence import TF32_TOLERANCE, TOLERANCE, equivalence
    from tests.engine.test_lab import train_logs

    for device, dtype, expected in (
        ("cuda:0", "float32", TF32_TOLERANCE),
        ("cuda:0", "float64", TOLERANCE["float64"]),
        ("cpu", "float32", TOLERANCE["float32"]),
    ):
        config = small_config(same_start=True, dtype=dtype, matmul_precision="high", iters=30)
        report = equivalence(config.with_changes(device=device), train_logs(config))
        assert {c.tolerance for c in report.comparisons} == {expected}, (device, dtype)
