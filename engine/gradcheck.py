"""Provides gradient checks: hand-written backward passes against centered finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np


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
