"""Provides a trainer's kept history: the loss and time of every K-th iteration, and smoothing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from engine.events import LossPoints


def logged_offset(first_iter: int, every: int) -> int:
    """Index, in a batch starting at first_iter, of its first iteration that is a multiple of K."""
    return -first_iter % every


class LossLog:
    """Iterations 0, K, 2K, …: their losses and seconds since the trainer started.

    The same points the run log records, so a live run and its replay hold the same history.
    Arrays grow by doubling: appending stays cheap however long the run.
    """

    def __init__(self, every: int) -> None:
        self.every = every
        self.size = 0
        self._losses = np.empty(256)
        self._times = np.empty(256)

    def add(self, points: LossPoints) -> None:
        """Keeps the batch's iterations that fall on the log interval."""
        first = logged_offset(points.first_iter, self.every)
        times = points.times if len(points.times) == len(points.losses) else None
        losses = points.losses[first :: self.every]
        self.append(losses, times[first :: self.every] if times else [math.nan] * len(losses))

    def append(self, losses: Sequence[float], times: Sequence[float]) -> None:
        """Appends the next logged iterations."""
        end = self.size + len(losses)
        if end > len(self._losses):
            capacity = max(end, 2 * len(self._losses))
            self._losses = np.resize(self._losses, capacity)
            self._times = np.resize(self._times, capacity)
        self._losses[self.size : end] = losses
        self._times[self.size : end] = times
        self.size = end

    @property
    def losses(self) -> np.ndarray:
        return self._losses[: self.size]

    @property
    def times(self) -> np.ndarray:
        return self._times[: self.size]

    @property
    def iters(self) -> np.ndarray:
        return np.arange(self.size) * self.every


def debiased_ema(values: Iterable[float], weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average divided by 1 - weight**k.

    Without the division the first points would be pulled toward the zero the average starts
    from. Non-finite values give NaN and are skipped, so a diverged tail doesn't poison it.
    """
    smoothed, last, kept = [], 0.0, 0
    for value in values:
        if not math.isfinite(value):
            smoothed.append(math.nan)
            continue
        last = weight * last + (1 - weight) * value
        kept += 1
        smoothed.append(last / (1 - weight**kept))
    return np.array(smoothed, dtype=np.float64)


def losses_csv(logs: dict[str, LossLog]) -> str:
    """One CSV table: an iteration column and one loss column per trainer, blank where absent."""
    every = min((log.every for log in logs.values()), default=1)
    last = max((int(log.iters[-1]) for log in logs.values() if log.size), default=-1)
    lines = [",".join(["iteration", *logs])]
    for iteration in range(0, last + 1, every):
        cells = [str(iteration)]
        for log in logs.values():
            index, rest = divmod(iteration, log.every)
            cells.append(repr(float(log.losses[index])) if not rest and index < log.size else "")
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
