"""Provides the training loop: a gate to pause, step and stop it, and batched loss reports."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import threading
import time
import traceback
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
    Weights,
)
from engine.trainers import Trainer, build_trainer

FLUSH_SECONDS = 0.2  # how often a running trainer hands over its losses
PAUSED_POLL_SECONDS = 0.02  # how often a paused loop looks for resume, step or stop
_STOP, _RUNNING, _WEIGHTS_NOW, _WEIGHTS_AT_END = range(4)  # the gate's flags
# When a loop sends its weights as it ends: never, when done or diverged, or also when stopped
WEIGHTS_NEVER, WEIGHTS_IF_FINISHED, WEIGHTS_ALWAYS = 0, 1, 2


class Gate:
    """Lets a training loop run, pause, take single steps or stop, across threads or processes.

    Args:
        context: `threading`, or a multiprocessing context when the loop runs in a child.
    """

    def __init__(self, context: Any = threading) -> None:
        # Shared bytes, read by the loop every iteration without a lock: a locked Event
        # there let a low-priority trainer process hold the lock the app waits on.
        self._flags = multiprocessing.RawArray("b", 4)
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

    def ask_weights(self) -> None:
        """Asks the loop for its weights: sent before its next iteration, while paused, or as
        it ends (unless it fails)."""
        self._flags[_WEIGHTS_NOW] = 1

    def weights_at_end(self, when: int) -> None:
        """Has the loop send its weights as it ends: WEIGHTS_IF_FINISHED or WEIGHTS_ALWAYS."""
        self._flags[_WEIGHTS_AT_END] = when

    def take_weights_request(self) -> bool:
        """True (once) when weights were asked for."""
        asked = bool(self._flags[_WEIGHTS_NOW])
        self._flags[_WEIGHTS_NOW] = 0
        return asked

    def weights_due(self, status: str) -> bool:
        """True when a loop ending with this status owes its weights."""
        when = self._flags[_WEIGHTS_AT_END]
        finished = when == WEIGHTS_IF_FINISHED and status != STOPPED
        return self.take_weights_request() or when == WEIGHTS_ALWAYS or finished

    def wait_turn(
        self,
        on_hold: Callable[[], bool],
        on_weights: Callable[[], None] = lambda: None,
        first: bool = False,
    ) -> bool:
        """Blocks until the next iteration may run; False when the loop must stop.

        Args:
            on_hold: called once when the loop starts waiting, paused; False ends the loop.
            on_weights: called when weights were asked for, between iterations or while paused.
            first: the run's first iteration, taken even when paused (as the single step let
                through, if one was), so a run paused as it starts shows its first loss.
        """
        if first and not self.stopped:
            self._steps.acquire(False)
            return True
        held = False
        while not self.stopped:
            if self.take_weights_request():
                on_weights()
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
        # A device queues steps ahead, and a graph runs several per call: each step is then
        # stamped when its batch is read back (finished), not when it was queued.
        self.stamp_on_read = trainer.device != "cpu" or getattr(trainer, "batch_steps", 1) > 1
        self.queued: float | None = None  # when the batch's first step began (device)
        self.notice = ""
        self.width = 1  # losses per step: a sweep's batcher has one per member

    def add(self, result: Any, began: float) -> bool:
        """Adds one step's loss, or a graphed trainer's losses of several, begun at `began`
        (time.monotonic()); True when a batch is due."""
        self.pending.append(result)
        now = time.monotonic()
        if not self.stamp_on_read:
            self.times.append(now - self.start)
        elif self.queued is None:  # a graph's first call warms up and captures before returning
            self.queued = began - self.start
        return now - self.last_flush >= FLUSH_SECONDS

    def new_notice(self) -> str:
        """The trainer's notice (graphs off, say) if it changed since the last batch sent, else
        "": each notice goes once, with the next batch handed over."""
        notice = getattr(self.trainer, "notice", "")
        sent, self.notice = ("" if notice == self.notice else notice), notice
        return sent

    def _read(self) -> list[float]:
        losses = self.trainer.read_losses(self.pending)
        if self.stamp_on_read and losses and self.queued is not None:
            # The read waited for the device: its queue, empty at the last read, is done now.
            # Between then and the first step's queueing the steps are spread evenly.
            span, count = time.monotonic() - self.start - self.queued, len(losses) // self.width
            self.times = [self.queued + span * (i + 1) / count for i in range(count)]
        self.queued = None
        return losses

    def flush(self) -> bool:
        """Hands over the pending losses; False if one was NaN or inf (the rest are dropped)."""
        losses = self._read()
        finite = next((i for i, loss in enumerate(losses) if not math.isfinite(loss)), len(losses))
        if finite:
            self.emit(LossPoints(self.name, self.done, losses[:finite], self.times[:finite],
                                 mode=getattr(self.trainer, "mode", ""),
                                 notice=self.new_notice()))  # fmt: skip
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
            self.pending, self.times, self.queued = [], [], None

    def ended(self, status: str, message: str = "", details: str = "") -> TrainerEnded:
        if status == DIVERGED:
            message = f"loss became {self.bad_loss} at iteration {self.done}"
        wall = time.monotonic() - self.start
        return TrainerEnded(
            self.name, status, self.done, self.last_loss, wall, message, details=details
        )


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

    many = getattr(trainer, "batch_steps", 1)  # a graphed trainer's steps(many) runs a replay
    steps: Any = getattr(trainer, "steps", None)
    done = 0  # iterations taken: the updates in the trainer's weights

    def send_weights() -> None:
        emit(Weights(name, done, float(trainer.lr), trainer.data, trainer.params()))

    try:
        while done < iters:
            if not gate.wait_turn(hold, send_weights, first=done == 0):
                break
            count = many if steps and not gate.paused and iters - done >= many else 1
            began = time.monotonic()
            result = steps(count) if count > 1 else trainer.step()
            done += count
            if (batch.add(result, began) or gate.paused) and not batch.flush():
                break
        batch.flush()
    except Exception as error:  # a trainer's fault ends that trainer only
        batch.salvage()
        emit(batch.ended(FAILED, describe(error), report(error)))
        return
    status = DIVERGED if batch.bad_loss is not None else STOPPED if batch.done < iters else DONE
    if gate.weights_due(status):
        with contextlib.suppress(Exception):  # weights that can't be read: the end still counts
            send_weights()
    emit(batch.ended(status))


def describe(error: BaseException) -> str:
    """The exception's type and whole message, for a panel or a log."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def report(error: BaseException) -> str:
    """The exception's traceback, as Python would print it."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def run_trainer(
    config: RunConfig, spec: TrainerSpec, start: Start, gate: Gate, emit: Callable[[Event], None]
) -> None:
    """Builds one trainer and trains it; a failure to build ends it as failed."""
    try:
        trainer = build_trainer(config, spec, start)
    except Exception as error:
        emit(TrainerEnded(spec.name, FAILED, 0, None, 0.0, describe(error), details=report(error)))
        return
    if config.sweep:
        from engine.sweep.loop import member_batcher

        train(spec.name, trainer, config.iters, gate, emit, member_batcher(config))
        return
    train(spec.name, trainer, config.iters, gate, emit)
