"""A device trainer's time stamps: each step's when its batch has been read back, spread from
the call that began the batch (a graph's first warms up and captures), on a faked clock."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import engine.loop
from engine.events import LossPoints
from engine.loop import Gate, train


def test_a_device_trainer_is_stamped_when_its_batch_is_read_and_cpu_ones_per_step(  # type: ignore[no-untyped-def]
    monkeypatch,
) -> None:
    clock = SimpleNamespace(now=0.0)  # a step queues in 1 ms; a read waits 1 s for the device
    monkeypatch.setattr(engine.loop, "time", SimpleNamespace(monotonic=lambda: clock.now))

    class QueuedTrainer:
        def __init__(self, device: str) -> None:
            self.device = device

        def step(self) -> float:
            clock.now += 0.001
            return clock.now  # the "loss" is when it was queued

        def read_losses(self, pending: list[float]) -> list[float]:
            clock.now += 1.0
            return list(pending)

    for device in ("cpu", "cuda:0"):
        events: list = []
        clock.now = 0.0
        train("fake", QueuedTrainer(device), 1000, Gate(), events.append)
        first, second = [e for e in events if isinstance(e, LossPoints)][:2]
        if device == "cpu":  # each step stamped as it returns
            assert first.times == pytest.approx(first.losses)
        else:  # spread from the first step's start to the end of the read that waited
            assert first.times[-1] == pytest.approx(first.losses[-1] + 1.0)
            assert second.times[0] > first.times[-1]
            began = first.losses[0] - 0.001
            assert np.allclose(np.diff(first.times), (first.times[-1] - began) / len(first.times))


def test_a_graphs_first_batch_is_stamped_from_before_its_warm_up_and_capture(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = SimpleNamespace(now=0.0)  # warm-up and capture take 0.5 s; a read waits 0.1 s
    monkeypatch.setattr(engine.loop, "time", SimpleNamespace(monotonic=lambda: clock.now))

    class GraphedFake:
        device, batch_steps, captured = "cuda:0", 10, False

        def steps(self, k: int) -> list[float]:
            clock.now += 0.001 if self.captured else 0.5
            self.captured = True
            return [1.0] * k

        def step(self) -> float:
            return 1.0

        def read_losses(self, pending: list[list[float]]) -> list[float]:
            clock.now += 0.1
            return [loss for losses in pending for loss in losses]

    events: list = []
    train("fake", GraphedFake(), 30, Gate(), events.append)
    times = [t for e in events if isinstance(e, LossPoints) for t in e.times]
    assert len(times) == 30 and times == sorted(times)
    assert times[0] < 0.1  # the first step ran in the warm-up, at the start, not after capture
