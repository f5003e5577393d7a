"""Member k of a sweep computes what a single run with member k's settings computes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine.config import SEED_LR, TRAINERS, RunConfig
from engine.events import DIVERGED, DONE, STOPPED, TrainerEnded
from engine.loop import Gate, run_trainer
from engine.runner import make_start
from engine.sweep.spec import members
from tests.engine.conftest import build, member_losses, small_config

STEPS = 25


def axes(trainer: str) -> dict[str, tuple[float, ...]]:
    lr = SEED_LR[trainer] * (10 if trainer == "torch-optim" else 1)
    return {"lr": (lr, 3 * lr), "init_scale": (0.5, 2.0), "seed": (3, 4)}


def single_of(config: RunConfig, values: dict[str, float]) -> RunConfig:
    """The single run a member's settings make: --lr, --init-scale, --init-seed."""
    changes: dict[str, Any] = {"sweep": ()}
    if "lr" in values:
        changes["lr"] = dict.fromkeys(config.trainers, values["lr"])
    if "init_scale" in values:
        changes["init_scale"] = values["init_scale"]
    if "seed" in values:
        changes["init_seed"] = int(values["seed"])
    return config.with_changes(**changes)


def weights(trainer: Any) -> dict[str, np.ndarray]:
    params = trainer.parameters() if hasattr(trainer, "parameters") else {}
    if hasattr(trainer, "model"):
        params = dict(trainer.model.named_parameters())
    return {name: np.array(value.tolist()) for name, value in params.items()}


def as_array(value: Any) -> np.ndarray:
    return np.array(value.tolist() if hasattr(value, "tolist") else value, dtype=np.float64)


@pytest.mark.parametrize("axis", ["lr", "init_scale", "seed"])
@pytest.mark.parametrize("name", TRAINERS)
def test_each_member_matches_its_single_run(name: str, axis: str) -> None:
    rtol = 1e-7 if name == "torch-optim" else 1e-9  # Adam there, SGD elsewhere
    config = small_config(trainers=(name,), dtype="float64", sweep=((axis, axes(name)[axis]),))
    batched = build(config, name)
    singles = [build(single_of(config, m.values), name) for m in members(config)]
    for _ in range(STEPS):
        losses = as_array(batched.step())
        expected = [float(single.step()) for single in singles]
        np.testing.assert_allclose(losses, expected, rtol=rtol)
    for k, single in enumerate(singles):
        member = {key: as_array(value) for key, value in batched.member_params(k).items()}
        for key, value in weights(single).items():
            np.testing.assert_allclose(member[key], value, rtol=rtol, atol=1e-12, err_msg=key)
    assert len(set(expected)) == len(expected)  # the members do differ


def collect(config: RunConfig, name: str) -> tuple[dict[int, list[float]], TrainerEnded]:
    """Trains one trainer of the config as the runner does; each member's losses and the end."""
    events: list[Any] = []
    run_trainer(config, config.spec(name), make_start(config), Gate(), events.append)
    assert isinstance(events[-1], TrainerEnded)
    return member_losses(events), events[-1]


@pytest.mark.parametrize("name", TRAINERS)
def test_a_diverged_member_is_frozen_and_the_others_go_on(name: str) -> None:
    good, bad = axes(name)["lr"][0], 1e150
    config = small_config(trainers=(name,), dtype="float64", iters=40, sweep=(("lr", (good, bad)),))
    losses, end = collect(config, name)
    alone, _ = collect(config.with_changes(sweep=(("lr", (good,)),)), name)
    assert end.status == DONE and end.iters == 40
    kept, lost = end.members
    assert (kept.status, kept.iters) == (DONE, 40)
    assert lost.status == DIVERGED and lost.iters < 40 and "loss became" in lost.message
    assert len(losses[1]) == lost.iters and all(np.isfinite(losses[1]))
    np.testing.assert_allclose(losses[0], alone[0], rtol=1e-12)  # its NaN did not reach member 0
    assert "1 of 2 members diverged" in end.message


@pytest.mark.parametrize("name", TRAINERS)
def test_a_frozen_members_weights_stop_moving(name: str) -> None:
    config = small_config(trainers=(name,), dtype="float64", sweep=(("lr", (1e-6, 1e150)),))
    batched = build(config, name)
    batched.step()  # member 1's weights are now huge but finite: its next loss overflows
    batched.freeze([1])
    frozen = {key: as_array(value) for key, value in batched.member_params(1).items()}
    assert all(np.isfinite(value).all() for value in frozen.values())
    for _ in range(3):
        assert np.isfinite(as_array(batched.step())[0])
    for key, value in batched.member_params(1).items():
        np.testing.assert_array_equal(as_array(value), frozen[key], err_msg=key)


def test_the_trainer_diverges_only_when_every_member_did() -> None:
    config = small_config(trainers=("numpy",), iters=50, sweep=(("lr", (1e150, 1e160)),))
    _, end = collect(config, "numpy")
    assert end.status == DIVERGED
    assert [member.status for member in end.members] == [DIVERGED, DIVERGED]


def test_a_seed_member_keeps_the_data_of_seed() -> None:
    config = small_config(trainers=("numpy",), seed=5, sweep=(("seed", (0, 1)),))
    alone = replace(config, sweep=(), init_seed=1)
    assert (make_start(config).data.x == make_start(alone).data.x).all()
    first = as_array(build(config, "numpy").step())[1]
    assert first == pytest.approx(float(build(alone, "numpy").step()), rel=1e-12)


def test_a_stopped_sweep_ends_every_member_stopped() -> None:
    config = small_config(trainers=("numpy",), iters=10**7, sweep=(("lr", (1e-6, 1e-5)),))
    gate, events = Gate(), []

    def emit(event: Any) -> None:
        events.append(event)
        gate.stop()  # as ^C does, once the first points are in

    run_trainer(config, config.spec("numpy"), make_start(config), gate, emit)
    end = events[-1]
    assert end.status == STOPPED and 0 < end.iters < 10**7
    assert [(m.status, m.iters) for m in end.members] == [(STOPPED, end.iters)] * 2
