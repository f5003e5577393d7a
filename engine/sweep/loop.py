"""Provides a sweep's batching: each member's losses handed over, its divergence frozen, its end."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from engine.config import RunConfig
from engine.events import DIVERGED, Event, FamilyPoints, LossPoints, Member, TrainerEnded
from engine.loop import _Batcher
from engine.sweep.spec import describe_values, members

NAMED = 4  # diverged members an end's message names; `m` and the run log have them all


class MemberBatcher(_Batcher):
    """train()'s batcher for a batched trainer: step() gives every member's loss at once.

    A member whose loss turns NaN or inf is frozen (the trainer stops moving its weights) and
    its points stop there; the trainer goes on while any member is left, and `bad_loss` is set
    only once every member diverged, so train() ends the trainer diverged only then.
    """

    def __init__(self, name: str, trainer: Any, emit: Callable[[Event], None],
                 members: list[Member]) -> None:  # fmt: skip
        super().__init__(name, trainer, emit)
        self.freeze: Callable[[list[int]], None] = trainer.freeze  # stops members' weights
        self.members = members
        self.width = len(members)  # each step gives every member's loss
        self.member_done = [0] * len(members)  # iterations handed over, per member
        self.member_last: list[float | None] = [None] * len(members)
        self.member_bad: dict[int, float] = {}  # diverged members' first bad loss

    def flush(self) -> bool:
        """Hands over each running member's losses; False once every member diverged."""
        if self.pending:  # single steps, or a graph replay's K steps at once
            steps = np.asarray(self._read(), dtype=np.float64).reshape(-1, len(self.members))
            self._hand_over(steps)  # stamped when read, on a device
            self.done += len(steps)
        self.pending, self.times = [], []
        self.last_flush = time.monotonic()
        if len(self.member_bad) == len(self.members):
            self.bad_loss = next(iter(self.member_bad.values()))
        return self.bad_loss is None

    def _hand_over(self, steps: np.ndarray) -> None:
        diverged: list[int] = []
        family: list[LossPoints] = []
        mode = getattr(self.trainer, "mode", "")
        for k, member in enumerate(self.members):
            if k in self.member_bad:
                continue
            losses = steps[:, k]
            bad = np.flatnonzero(~np.isfinite(losses))
            finite = int(bad[0]) if bad.size else len(losses)
            if finite:
                kept, when = losses[:finite].tolist(), self.times[:finite]
                notice = "" if family else self.new_notice()  # with the first member's points
                family.append(LossPoints(self.name, self.member_done[k], kept, when,
                                         mode=mode, notice=notice, member=member))  # fmt: skip
                self.member_done[k] += finite
                self.member_last[k] = float(losses[finite - 1])
            if bad.size:
                self.member_bad[k] = float(losses[finite])
                diverged.append(k)
        if family:
            self.emit(FamilyPoints(self.name, tuple(family)))
        if diverged:
            self.freeze(diverged)

    def ended(self, status: str, message: str = "", details: str = "") -> TrainerEnded:
        """The trainer's end, with every member's own end inside it (and a failure's traceback).

        Its iterations are the furthest member's: every step while a member runs, and where
        every member diverged, the last one's divergence, as a single trainer's end says (the
        steps its frozen members rode along to the next batch count for neither).
        """
        wall = time.monotonic() - self.start
        ends = tuple(self._member_end(k, status, message, wall) for k in range(len(self.members)))
        if self.member_bad:
            bad = sorted(self.member_bad)
            named = ", ".join(f"#{k} {describe_values(self.members[k])}" for k in bad[:NAMED])
            more = ", ..." if len(bad) > NAMED else ""
            count = f"{len(bad)} of {len(self.members)} members diverged ({named}{more})"
            message = f"{count}; {message}" if message else count
        ended = TrainerEnded(self.name, status, max(self.member_done), None, wall, message,
                             details=details, members=ends)  # fmt: skip
        best = best_member(ended)
        return replace(ended, final_loss=None if best is None else best.final_loss)

    def _member_end(self, k: int, status: str, message: str, wall: float) -> TrainerEnded:
        done, member = self.member_done[k], self.members[k]
        if k in self.member_bad:
            status, message = DIVERGED, f"loss became {self.member_bad[k]} at iteration {done}"
        return TrainerEnded(self.name, status, done, self.member_last[k], wall, message,
                            member=member)  # fmt: skip


def member_batcher(config: RunConfig) -> Callable[..., _Batcher]:
    """The batcher train() takes for a sweep's trainer: it knows the config's members."""
    return partial(MemberBatcher, members=members(config))


def best_member(ended: TrainerEnded) -> TrainerEnded | None:
    """The member with the lowest final loss among those that did not diverge."""
    finished = [
        end for end in ended.members
        if end.status != DIVERGED and end.final_loss is not None and math.isfinite(end.final_loss)
    ]  # fmt: skip
    return min(finished, key=lambda end: end.final_loss or 0.0, default=None)
