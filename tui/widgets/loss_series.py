"""Provides a loss history of bounded size: min/max buckets that merge as the run grows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CAPACITY = 1024  # buckets kept; even, so a full store halves exactly


class LossSeries:
    """Every loss of a run, summarised as (min, max) per bucket of `bucket` iterations.

    Memory and drawing cost stay fixed however long the run: when the buckets fill up,
    neighbours merge and each bucket covers twice as many iterations.
    """

    def __init__(self) -> None:
        self.bucket = 1
        self.filled = 0
        self.lo = np.empty(CAPACITY)
        self.hi = np.empty(CAPACITY)
        self.tail = np.empty(0)  # losses not yet making a whole bucket
        self.count = 0  # iterations received

    def extend(self, losses: Sequence[float]) -> None:
        """Adds the next iterations' losses; NaN and inf are counted but never drawn."""
        values = np.asarray(losses, dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)
        self.count += len(values)
        self.tail = np.concatenate([self.tail, values])
        while len(self.tail) >= self.bucket:
            if self.filled == CAPACITY:
                self._merge_pairs()
                continue
            whole = min(len(self.tail) // self.bucket, CAPACITY - self.filled)
            block = self.tail[: whole * self.bucket].reshape(whole, self.bucket)
            self.lo[self.filled : self.filled + whole] = np.fmin.reduce(block, axis=1)
            self.hi[self.filled : self.filled + whole] = np.fmax.reduce(block, axis=1)
            self.filled += whole
            self.tail = self.tail[whole * self.bucket :]

    def _merge_pairs(self) -> None:
        half = CAPACITY // 2
        self.lo[:half] = np.fmin(self.lo[0::2], self.lo[1::2])
        self.hi[:half] = np.fmax(self.hi[0::2], self.hi[1::2])
        self.filled = half
        self.bucket *= 2

    def points(self, columns: int, positive_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """About two points per column, max then min, for drawing: (iterations, losses)."""
        lo = np.concatenate([self.lo[: self.filled], self.tail])
        hi = np.concatenate([self.hi[: self.filled], self.tail])
        if len(lo) == 0:
            return np.empty(0), np.empty(0)
        tail_starts = self.filled * self.bucket + np.arange(len(self.tail))
        starts = np.concatenate([np.arange(self.filled) * self.bucket, tail_starts])
        groups = max(1, min(columns, len(lo)))
        edges = np.linspace(0, len(lo), groups + 1).astype(int)[:-1]
        group_lo = np.fmin.reduceat(lo, edges)
        group_hi = np.fmax.reduceat(hi, edges)
        x = np.repeat(starts[edges], 2).astype(np.float64)
        y = np.column_stack([group_hi, group_lo]).ravel()
        keep = np.isfinite(y) & ((y > 0) if positive_only else True)
        return x[keep], y[keep]
