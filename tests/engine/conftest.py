"""Provides small runs and trainers built from them, for the engine tests."""

from __future__ import annotations

import pytest

from engine.config import RunConfig, validate
from engine.data import make_start
from engine.trainers import build_trainer

SMALL = {"n": 8, "d_in": 12, "hidden": 9, "d_out": 5}


def small_config(**changes: object) -> RunConfig:
    """A validated run at small sizes, with the given settings changed."""
    return validate(RunConfig(**{**SMALL, **changes}))  # type: ignore[arg-type]


def build(config: RunConfig, name: str):  # type: ignore[no-untyped-def]
    """The named trainer of a run, built as the runner builds it."""
    return build_trainer(config, config.spec(name), make_start(config))


@pytest.fixture
def same_start_f64() -> RunConfig:
    return small_config(same_start=True, dtype="float64", iters=50)


def member_losses(events: list) -> dict[int, list[float]]:  # type: ignore[type-arg]
    """Each sweep member's losses, in order, from a trainer's events."""
    from engine.events import LossPoints, single_events

    losses: dict[int, list[float]] = {}
    for single in (single for event in events for single in single_events(event)):
        if isinstance(single, LossPoints) and single.member is not None:
            losses.setdefault(single.member.index, []).extend(single.losses)
    return losses
