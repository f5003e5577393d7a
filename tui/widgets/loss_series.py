"""Provides a loss history of bounded size: min/max/mean buckets that merge as the run grows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from engine.history import LossLog

CAPACITY = 1024  # buckets kept; even, so a full store halves exactly
RECENT = 16_384  # the latest values kept one by one: z's last 1% of 1.6M iterations, exactly


@dataclass(frozen=True)
class StoredPoints:
    """Every stored point (a bucket, or one loss not yet in a bucket), oldest first."""

    iters: np.ndarray  # the first iteration each covers
    times: np.ndarray  # seconds since the trainer started, at that iteration
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray


POINT_FIELDS = [field.name for field in fields(StoredPoints)]


class LossSeries:
    """Every loss of a run, summarised as min, max, mean and start time per bucket.

    Memory and drawing cost stay fixed however long the run: when the buckets fill up,
    neighbours merge and each bucket covers twice as many values. `stride` is the number of
    iterations between values: 1 live, K for a run log that kept every K-th iteration.
    """

    def __init__(self, stride: int = 1, capacity: int = CAPACITY, recent: int = RECENT) -> None:
        self.stride = stride
        self.capacity, self.recent_size = capacity, recent  # smaller for a sweep's many members
        self.version = 0  # changes whenever the series does, so plots know when to redraw
        self.clear()

    def clear(self) -> None:
        """Forgets every value, for a restarted trainer."""
        self.bucket, self.filled, self.count = 1, 0, 0
        self.lo, self.hi, self.total, self.time = (np.empty(self.capacity) for _ in range(4))
        self.tail, self.tail_times = np.empty(0), np.empty(0)  # not yet a whole bucket
        # value i at i % recent_size
        self.recent, self.recent_times = np.empty(self.recent_size), np.empty(self.recent_size)
        self.version += 1

    def load(self, log: LossLog) -> None:
        """Holds a run log's losses instead: every K-th iteration, K apart on the x axis."""
        self.clear()
        self.stride = log.every
        self.extend(log.losses.tolist(), log.times.tolist())

    def extend(self, losses: Sequence[float], times: Sequence[float] | None = None) -> None:
        """Adds the next values, and when each was reached; NaN and inf are never drawn."""
        values = np.asarray(losses, dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)
        when = np.asarray(times if times is not None and len(times) == len(values) else
                          np.full(len(values), np.nan), dtype=np.float64)  # fmt: skip
        keep = self.recent_size
        into = np.arange(self.count, self.count + len(values))[-keep:] % keep
        self.recent[into], self.recent_times[into] = values[-keep:], when[-keep:]
        self.count += len(values)
        self.tail = np.concatenate([self.tail, values])
        self.tail_times = np.concatenate([self.tail_times, when])
        while len(self.tail) >= self.bucket:
            if self.filled == self.capacity:
                self._merge_pairs()
                continue
            self._fill_buckets()
        self.version += 1

    def _fill_buckets(self) -> None:
        whole = min(len(self.tail) // self.bucket, self.capacity - self.filled)
        block = self.tail[: whole * self.bucket].reshape(whole, self.bucket)
        into = slice(self.filled, self.filled + whole)
        self.lo[into] = np.fmin.reduce(block, axis=1)
        self.hi[into] = np.fmax.reduce(block, axis=1)
        self.total[into] = block.sum(axis=1)
        self.time[into] = self.tail_times[: whole * self.bucket : self.bucket]
        self.filled += whole
        self.tail = self.tail[whole * self.bucket :]
        self.tail_times = self.tail_times[whole * self.bucket :]

    def _merge_pairs(self) -> None:
        half = self.capacity // 2
        self.lo[:half] = np.fmin(self.lo[0::2], self.lo[1::2])
        self.hi[:half] = np.fmax(self.hi[0::2], self.hi[1::2])
        self.total[:half] = self.total[0::2] + self.total[1::2]
        self.time[:half] = self.time[0::2]
        self.filled = half
        self.bucket *= 2

    def stored(self) -> StoredPoints:
        """The buckets, then the values not yet in one: at most 2 * capacity points."""
        filled = slice(0, self.filled)
        in_tail = self.filled * self.bucket + np.arange(len(self.tail))
        firsts = np.concatenate([np.arange(self.filled) * self.bucket, in_tail])
        return StoredPoints(
            iters=firsts * self.stride,
            times=np.concatenate([self.time[filled], self.tail_times]),
            lo=np.concatenate([self.lo[filled], self.tail]),
            hi=np.concatenate([self.hi[filled], self.tail]),
            mean=np.concatenate([self.total[filled] / self.bucket, self.tail]),
        )

    def since(self, first_iter: float) -> StoredPoints:
        """The points from first_iter on: each value while the latest RECENT hold them, else
        the buckets (and the values not yet in one) that begin there or later."""
        first = max(0, math.ceil(first_iter / self.stride))
        if self.count - first > self.recent_size:
            points = self.stored()
            return kept(points, points.iters >= first_iter)
        index = np.arange(first, self.count)
        slots = index % self.recent_size
        values = self.recent[slots]
        return StoredPoints(index * self.stride, self.recent_times[slots], values, values, values)

    def since_time(self, seconds: float) -> StoredPoints:
        """The points reached at `seconds` or later, as since() gives them."""
        stored = self.stored()
        later = np.flatnonzero(stored.times >= seconds)
        # the bucket before the first that begins later may hold later values one by one
        first = stored.iters[later[0] - 1] if len(later) and later[0] else 0
        points = self.since(first) if len(later) else self.since(self.count * self.stride)
        return kept(points, points.times >= seconds)

    def last_time(self) -> float:
        """When the latest value was reached, in seconds; NaN before any (or without times)."""
        return (
            float(self.recent_times[(self.count - 1) % self.recent_size])
            if self.count
            else math.nan
        )


def kept(points: StoredPoints, keep: np.ndarray) -> StoredPoints:
    """The points where `keep` holds."""
    return StoredPoints(*(getattr(points, name)[keep] for name in POINT_FIELDS))
