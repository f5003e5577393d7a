"""Provides gradient checks: hand-written backward passes against centered finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.config import RunConfig
from engine.data import make_start
from engine.gradrows import PASS_BELOW, GradRow
from engine.trainers import build_trainer


def _as_numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """|a - b| / (|a| + |b|) over whole arrays; 0 when both are zero."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def finite_difference_errors(
    trainer: Any, eps: float = 1e-6, max_entries: int = 200, seed: int = 0
) -> dict[str, float]:
    """Each parameter's relative error between the trainer's gradients and finite differences.

    The trainer needs `forward()` (the loss), `gradients()` and `parameters()` (arrays or
    tensors it trains, perturbed in place and restored). Large parameters are checked at
    `max_entries` sampled entries.
    """
    rng = np.random.default_rng(seed)
    analytic = {name: _as_numpy(grad) for name, grad in trainer.gradients().items()}
    errors = {}
    for name, param in trainer.parameters().items():
        flat_count = int(np.prod(param.shape))
        picks = rng.choice(flat_count, size=min(max_entries, flat_count), replace=False)
        numeric = np.array([_centered_difference(trainer, param, int(i), eps) for i in picks])
        errors[name] = relative_error(analytic[name].reshape(-1)[picks], numeric)
    return errors


def _centered_difference(trainer: Any, param: Any, flat_index: int, eps: float) -> float:
    index = np.unravel_index(flat_index, tuple(param.shape))
    original = float(param[index])
    param[index] = original + eps
    plus = float(trainer.forward())
    param[index] = original - eps
    minus = float(trainer.forward())
    param[index] = original
    return (plus - minus) / (2 * eps)


# The loss is piecewise quadratic in each weight (ReLU), so a centered difference is exact but for
# rounding, which a larger step shrinks; too large a step would cross ReLU kinks.
EPS = 1e-5


def check_gradients(config: RunConfig, max_entries: int = 100) -> list[GradRow]:
    """Checks the backward passes of numpy, torch-manual and torch-autograd in float64.

    At the run's sizes and device, from each trainer's start; large parameters are checked at
    `max_entries` sampled entries.
    """
    config = config.with_changes(dtype="float64", graphs="off")  # the trainers' own methods
    start = make_start(config)
    rows = []
    for name in ("numpy", "torch-manual", "torch-autograd"):
        trainer: Any = build_trainer(config, config.spec(name), start)
        autograd_rows: list[GradRow] = []
        if name == "torch-autograd":
            from engine.torch_gradcheck import ModelUnderCheck, autograd_gradcheck

            trainer = ModelUnderCheck(trainer)
            autograd_rows = autograd_gradcheck(trainer, max_entries)
        sizes = {key: int(np.prod(param.shape)) for key, param in trainer.parameters().items()}
        errors = finite_difference_errors(trainer, eps=EPS, max_entries=max_entries)
        for parameter, error in errors.items():
            rows.append(GradRow(name, parameter, "finite differences",
                                min(max_entries, sizes[parameter]), error,
                                error < PASS_BELOW))  # fmt: skip
        rows += autograd_rows
    return rows
