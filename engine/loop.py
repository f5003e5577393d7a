"""Provides the training loop: a gate to pause, step and stop it, and batched loss reports."""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.config import RunConfig, TrainerSpec
from engine.data import Start
from engine.events import (
    DIVERGED,
    DONE,
    FAILED,
    STOPPED,
    Event,
    LossPoints,
    TrainerEnded,
    TrainerPaused,
)
from engine.trainers import Trainer, build_trainer

FLUSH_SECONDS = 0.2  # how often a running trainer hands over its losses
PAUSED_POLL_SECONDS = 0.02  # how often a paused loop looks for resume, step or stop
_STOP, _RUNNING = 0, 1  # the gate's two flags


class Gate:
    """Lets a training loop run, pause, take single steps or stop, across threads or processes.

    Args:
        context: `threading`, or a multiprocessing context when the loop runs in a child.
    """

    def __init__(self, context: Any = threading) -> None:
        # Two shared bytes, read by the loop every iteration without a lock: a locked Event
        # there let a low-priority trainer process hold the lock the app waits on.
        self._flags = multiprocessing.RawArray("b", 2)
        self._flags[_RUNNING] = 1
        self._steps = context.Semaphore(0)

    @property
    def paused(self) -> bool:
        """True while the loop waits for resume or a single step."""
        return not self._flags[_RUNNING]

    @property
    def stopped(self) -> bool:
        """True once stop was asked for."""
        return bool(self._flags[_STOP])

    def pause(self) -> None:
        """Holds the loop before its next iteration."""
        self._flags[_RUNNING] = 0

    def resume(self) -> None:
        """Lets the loop run freely again, dropping single steps not yet taken."""
        while self._steps.acquire(False):
            pass
        self._flags[_RUNNING] = 1

    def step(self) -> None:
        """Pauses the loop and lets exactly one more iteration through."""
        self._flags[_RUNNING] = 0
        self._steps.release()

    def stop(self) -> None:
        """Ends the loop before its next iteration, paused or not."""
        self._flags[_STOP] = 1

    def wait_turn(self, on_hold: Callable[[], bool]) -> bool:
        """Blocks until the next iteration may run; False when the loop must stop.

        Args:
            on_hold: called once when the loop starts waiting, paused; False ends the loop.
        """
        held = False
        while not self.stopped:
            if not self.paused:
                break
            if not held:
                if not on_hold():
                    return False
                held = True
            if self._steps.acquire(True, PAUSED_POLL_SECONDS):
                break
        return not self.stopped


class _Batcher:
    """Collects one trainer's step results and hands them over as LossPoints batches."""

    def __init__(self, name: str, trainer: Trainer, emit: Callable[[Event], None]) -> None:
        self.name, self.trainer, self.emit = name, trainer, emit
        self.start = time.monotonic()
        self.last_flush = self.start
        self.pending: list[Any] = []
        self.times: list[float] = []
        self.done = 0  # iterations handed over, all with finite losses
        self.last_loss: float | None = None
        self.bad_loss: float | None = None

    def add(self, result: Any) -> bool:
        """Adds one step's loss; True when a batch is due."""
        self.pending.append(result)
        now = time.monotonic()
        self.times.append(now - self.start)
        return now - self.last_flush >= FLUSH_SECONDS

    def flush(self) -> bool:
        """Hands over the pending losses; False if one was NaN or inf (the rest are dropped)."""
        losses = self.trainer.read_losses(self.pending)
        finite = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), len(losses))
        if finite:
            self.emit(LossPoints(self.name, self.done, losses[:finite], self.times[:finite]))
            self.done += finite
            self.last_loss = losses[finite - 1]
        if finite < len(losses):
            self.bad_loss = losses[finite]
        self.pending, self.times = [], []
        self.last_flush = time.monotonic()
        return self.bad_loss is None

    def salvage(self) -> None:
        """After a fault: hands over the steps that finished, if their losses can still be read."""
        try:
            self.flush()
        except Exception:  # a device that broke may not give them back
            self.pending, self.times = [], []

    def ended(self, status: str, message: str = "") -> TrainerEnded:
        if status == DIVERGED:
            message = f"loss became {self.bad_loss} at iteration {self.done}"
        wall = time.monotonic() - self.start
        return TrainerEnded(self.name, status, self.done, self.last_loss, wall, message)


def train(
    name: str,
    trainer: Trainer,
    iters: int,
    gate: Gate,
    emit: Callable[[Event], None],
    batcher: Callable[[str, Trainer, Callable[[Event], None]], _Batcher] = _Batcher,
) -> None:
    """Runs up to `iters` iterations, reporting batches through `emit` and then how it ended.

    A sweep's batched trainer comes with engine/sweep/loop.py's batcher, which reports members.
    """
    batch = batcher(name, trainer, emit)

    def hold() -> bool:
        """Reports every iteration so far, then that the trainer is paused."""
        if not batch.flush():
            return False
        emit(TrainerPaused(name, batch.done))
        return True

    try:
        for _ in range(iters):
            if not gate.wait_turn(hold):
                break
            if (batch.add(trainer.step()) or gate.paused) and not batch.flush():
                break
        batch.flush()
    except Exception as error:  # a trainer's fault ends that trainer only
        batch.salvage()
        emit(batch.ended(FAILED, describe(error)))
        return
    if batch.bad_loss is not None:
        emit(batch.ended(DIVERGED))
    else:
        emit(batch.ended(STOPPED if batch.done < iters else DONE))


def describe(error: BaseException) -> str:
    """One line naming an exception, for a panel or a log."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def run_trainer(
    config: RunConfig, spec: TrainerSpec, start: Start, gate: Gate, emit: Callable[[Event], None]
) -> None:
    """Builds one trainer and trains it; a failure to build ends it as failed."""
    try:
        trainer = build_trainer(config, spec, start)
    except Exception as error:
        emit(TrainerEnded(spec.name, FAILED, 0, None, 0.0, describe(error)))
        return
    if config.sweep:
        from engine.sweep.loop import member_batcher

        train(spec.name, trainer, config.iters, gate, emit, member_batcher(config))
        return
    train(spec.name, trainer, config.iters, gate, emit)
