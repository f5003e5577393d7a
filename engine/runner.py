"""Provides the runner: the chosen trainers run concurrently, with start, pause, step and stop."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from engine.config import RunConfig
from engine.data import make_start
from engine.events import Event, TrainerStarted
from engine.loop import WEIGHTS_NEVER, Gate
from engine.workers import (
    WORKER_MODES,
    ProcessWorker,
    ThreadWorker,
    limit_threads,
    prepare_processes,
)

STOP_TIMEOUT_SECONDS = 2.0


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Runner:
    """Runs trainers side by side, each owned by a worker thread (and maybe a child process).

    Args:
        config: the run's validated settings.
        emit: called from worker threads with each batch of loss points and each end.
        mode: "thread" computes in the worker thread; "process" in a child per trainer.
        weights_at_end: when each trainer sends its Weights as it ends (engine.loop's WEIGHTS_*).
        log_dir: the run log's folder, where child processes write their stderr.
    """

    def __init__(
        self,
        config: RunConfig,
        emit: Callable[[Event], None],
        mode: str = "thread",
        weights_at_end: int = WEIGHTS_NEVER,
        log_dir: Path | None = None,
    ):
        if mode not in WORKER_MODES:
            raise ValueError(f"mode must be one of {WORKER_MODES}, got {mode!r}")
        self.config = config
        self.emit = emit
        self.mode = mode
        self.weights_at_end = weights_at_end
        self.log_dir = log_dir
        self.workers: dict[str, ThreadWorker | ProcessWorker] = {}
        self.starts = 0  # numbers each start, so late events of a replaced run can be told apart
        self.closed = False
        self.held: set[str] = set()  # paused by the user: a run of one starts held as well
        # start and stop may be called from several threads (the app's workers, its unmount)
        self._lock = threading.RLock()
        # held and the gates change together; taken only for moments, so a pause never waits
        # for a start that waits for a trainer to stop
        self._holding = threading.Lock()
        if mode == "process":
            prepare_processes()  # now, before a UI may replace stderr (spawning fails after)

    def start(self, names: Iterable[str] | None = None, config: RunConfig | None = None) -> None:
        """(Re)starts the named trainers, or all chosen ones, from iteration 0.

        Each named trainer's previous run is stopped and has reported its end before a
        TrainerStarted event announces the new one. A held trainer's new run holds after its
        first iteration. An empty list starts nothing.
        """
        with self._lock:
            if self.closed:
                return
            names = list(self.config.trainers if names is None else names)
            self.stop(names)
            if config is not None:
                self.config = config
            if not names:
                return
            start = make_start(self.config)
            self.starts += 1
            emit = partial(self._emit_tagged, self.starts)
            worker_class: Callable[..., ThreadWorker | ProcessWorker] = (
                ThreadWorker
                if self.mode == "thread"
                else partial(ProcessWorker, log_dir=self.log_dir)
            )
            fresh = {
                name: worker_class(self.config, self.config.spec(name), start, emit)
                for name in names
            }
            with self._holding:  # a pause asked for now holds the new runs too
                self.workers.update(fresh)
                for name in self.held.intersection(fresh):
                    fresh[name].gate.pause()
            threads = max(1, usable_cores() // max(1, len(self.running())))
            uses_torch = bool(self.config.torch_trainers)
            if self.mode == "thread":
                limit_threads(threads, uses_torch)
            for name, worker in fresh.items():
                emit(TrainerStarted(name, self.config))
                worker.gate.weights_at_end(self.weights_at_end)
                worker.start(threads, uses_torch)

    def _emit_tagged(self, run: int, event: Event) -> None:
        self.emit(dataclasses.replace(event, run=run))

    def running(self) -> list[str]:
        """Trainers whose worker has not ended (including ones created but not yet started)."""
        return [
            name
            for name, worker in self.workers.items()
            if worker.thread.is_alive() or not worker.thread.ident
        ]

    def _gates(self, names: Iterable[str] | None) -> list[Gate]:
        chosen = (
            self.workers
            if names is None
            else {n: self.workers[n] for n in names if n in self.workers}
        )
        return [worker.gate for worker in chosen.values()]

    def pause(self, names: Iterable[str] | None = None) -> None:
        """Holds the named trainers (all when None) before their next iteration, and any run of
        them started later, until they are resumed."""
        self._hold(names, True, Gate.pause)

    def resume(self, names: Iterable[str] | None = None) -> None:
        """Lets paused trainers run on."""
        self._hold(names, False, Gate.resume)

    def step(self, names: Iterable[str] | None = None) -> None:
        """Pauses the trainers and lets each through exactly one more iteration."""
        self._hold(names, True, Gate.step)

    def _hold(self, names: Iterable[str] | None, held: bool, act: Callable[[Gate], None]) -> None:
        with self._holding:
            names = None if names is None else list(names)
            chosen = set(self.config.trainers if names is None else names)
            self.held = self.held | chosen if held else self.held - chosen
            for gate in self._gates(names):
                act(gate)

    def ask_weights(self, names: Iterable[str] | None = None) -> None:
        """Asks the trainers for their weights; each sends a Weights event before its next step."""
        for gate in self._gates(names):
            gate.ask_weights()

    def stop(
        self, names: Iterable[str] | None = None, timeout: float = STOP_TIMEOUT_SECONDS
    ) -> None:
        """Stops trainers (all when None) within one iteration and waits until each has ended.

        A child process that has not stopped within `timeout` is killed. A thread can't be
        killed: it is waited for, so it never computes beside the trainer that replaces it.
        """
        with self._lock:
            chosen = [self.workers[n] for n in (self.workers if names is None else names)
                      if n in self.workers]  # fmt: skip
            for worker in chosen:
                worker.gate.stop()
            for worker in chosen:
                if worker.thread.ident and not worker.join(timeout):
                    worker.kill()
                    worker.join()

    def close(self) -> None:
        """Stops every trainer for good: later starts do nothing (the app is ending)."""
        with self._lock:
            self.closed = True
            self.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for every trainer to end; True if all have."""
        return all(worker.join(timeout) for worker in self.workers.values())
