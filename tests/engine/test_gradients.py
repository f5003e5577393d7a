"""Hand-written backward passes agree with centered finite differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

from engine.gradcheck import finite_difference_errors
from tests.engine.conftest import build, small_config


def _away_from_kink(trainer) -> None:  # type: ignore[no-untyped-def]
    trainer.forward()
    h = trainer.h.cpu().numpy() if hasattr(trainer.h, "cpu") else trainer.h
    assert np.abs(h).min() > 1e-3, "a hidden unit sits on ReLU's kink; pick another seed"


@pytest.mark.parametrize("name", ["numpy", "torch-manual"])
@pytest.mark.parametrize("no_bias", [False, True])
def test_backward_matches_finite_differences(name: str, no_bias: bool) -> None:
    config = small_config(same_start=True, dtype="float64", no_bias=no_bias, seed=3)
    trainer = build(config, name)
    _away_from_kink(trainer)
    errors = finite_difference_errors(trainer, eps=1e-6)
    assert set(errors) == ({"w1", "w2"} if no_bias else {"w1", "w2", "b1", "b2"})
    assert max(errors.values()) < 1e-6, errors


def test_a_broken_backward_is_caught() -> None:
    trainer = build(small_config(same_start=True, dtype="float64", seed=3), "numpy")
    correct_backward = trainer.backward

    def backward_missing_relu_mask() -> None:
        correct_backward()
        np.dot(trainer.grad_y_pred, trainer.w2.T, out=trainer.grad_h)  # mask dropped
        np.dot(trainer.x.T, trainer.grad_h, out=trainer.grad_w1)

    trainer.backward = backward_missing_relu_mask
    errors = finite_difference_errors(trainer, eps=1e-6)
    assert errors["w1"] > 1e-3
    assert errors["w2"] < 1e-6
