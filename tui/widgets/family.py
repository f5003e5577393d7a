"""Provides a sweep trainer's family as the dashboard keeps it: each member's curve and log, which
members diverged, each one's final (smoothed) loss, the best, and the curves a panel draws."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.events import DIVERGED, FamilyPoints, Member, TrainerEnded
from engine.history import LossLog
from engine.replay import last_loss, run_name
from engine.sweep.spec import describe_values
from tui.widgets.loss_series import LossSeries
from tui.widgets.plot_lines import SMOOTHING_STEPS, Colour, Curve, faint

# A panel draws this many members at most: the best, and the others spread evenly over the grid.
# The `m` view shows every member's final loss.
MAX_DRAWN = 16
# Each member's curve keeps fewer points than a single run's: 1,024 members stay ~16 MB a trainer.
MEMBER_CAPACITY, MEMBER_RECENT = 256, 512


@dataclass
class Smoothed:
    """Every member's debiased EMA of its losses (TensorBoard's smoothing), kept as they come."""

    weight: float
    value: np.ndarray
    kept: np.ndarray

    def take(self, losses: np.ndarray) -> None:
        """losses: steps by members, NaN where a member has none (it diverged, and its value
        no longer counts). The recurrence over a batch in one product: the value after T steps
        is w^T·value + (1-w)·Σ w^(T-1-t)·loss_t."""
        finite = np.isfinite(losses)
        powers = self.weight ** np.arange(len(losses) - 1, -1, -1, dtype=np.float64)
        added = (1 - self.weight) * (powers @ np.where(finite, losses, 0.0))
        self.value = self.weight ** len(losses) * self.value + added
        self.kept += finite.sum(axis=0)

    def final(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.kept > 0, self.value / (1 - self.weight**self.kept), np.nan)


class Family:
    """A sweep trainer's members: what they reached, and what a panel and the `m` view draw."""

    def __init__(self, members: list[Member], every: int) -> None:
        self.members = members
        self.series = [LossSeries(capacity=MEMBER_CAPACITY, recent=MEMBER_RECENT) for _ in members]
        self.logs = [LossLog(every) for _ in members]
        self.done = np.zeros(len(members), dtype=np.int64)  # iterations each member reached
        self.latest = np.full(len(members), np.nan)
        self.smoothed = [Smoothed(weight, np.zeros(len(members)), np.zeros(len(members)))
                         for weight in SMOOTHING_STEPS if weight]  # fmt: skip
        self.ended_diverged = np.zeros(len(members), dtype=bool)  # their ends, once told

    @property
    def axes(self) -> tuple[str, ...]:
        """The swept values' names, as the records name them: lr, init_scale, seed."""
        return tuple(self.members[0].values) if self.members else ()

    def take(self, event: FamilyPoints) -> None:
        """Takes a batch of every running member's points."""
        steps = max((len(points.losses) for points in event.points), default=0)
        losses = np.full((steps, len(self.members)), np.nan)
        for points in event.points:
            k = points.member.index if points.member is not None else 0
            self.series[k].extend(points.losses, points.times)
            self.logs[k].add(points)
            self.done[k], self.latest[k] = points.next_iter, points.losses[-1]
            losses[: len(points.losses), k] = points.losses
        for smoothed in self.smoothed:
            smoothed.take(losses)

    def take_ended(self, event: TrainerEnded) -> None:
        """Each member's own end, inside the trainer's."""
        for end in event.members:
            if end.member is not None:
                self.ended_diverged[end.member.index] = end.status == DIVERGED

    def load(self, logs: dict[int, LossLog], ends: dict[int, dict[str, Any]]) -> None:
        """Shows a past sweep's members from its run log (smoothed over every K-th iteration),
        each member's last loss from its end record where it has one."""
        steps = max((log.size for log in logs.values()), default=0)
        losses = np.full((steps, len(self.members)), np.nan)
        for k, log in logs.items():
            self.logs[k] = log
            self.series[k].load(log)
            self.done[k] = log.size * log.every
            self.latest[k] = last_loss(log, ends.get(k))
            losses[: log.size, k] = log.losses
        for smoothed in self.smoothed:
            smoothed.take(losses)
        for k, end in ends.items():
            self.ended_diverged[k] = end.get("event") == DIVERGED

    def diverged(self) -> np.ndarray:
        """Members that diverged: those whose losses stopped while the others' went on."""
        stopped = self.done < self.done.max(initial=0)
        started = self.done.max(initial=0) > 0
        return stopped | self.ended_diverged | ~np.isfinite(self.latest) & started

    def final(self, smoothing: float = 0.0) -> np.ndarray:
        """Each member's last loss, smoothed as the plots are; NaN for a diverged one."""
        if smoothing:
            values = next(s for s in self.smoothed if s.weight == smoothing).final()
        else:
            values = self.latest.copy()
        values[self.diverged()] = np.nan
        return values

    def best(self, smoothing: float = 0.0) -> int | None:
        """The member with the lowest final loss, among those that did not diverge."""
        final = self.final(smoothing)
        return None if np.isnan(final).all() else int(np.nanargmin(final))

    def shown(self) -> list[int]:
        """The members a panel draws: those that did not diverge (a diverged member's climb
        would squash the others against the axis), up to MAX_DRAWN spread evenly over the
        grid, and the best."""
        running = np.flatnonzero(~self.diverged())
        if len(running) <= MAX_DRAWN:
            return running.tolist()
        spread = np.linspace(0, len(running) - 1, MAX_DRAWN - 1).round().astype(int)
        best = self.best()
        return sorted({int(running[i]) for i in spread} | ({best} if best is not None else set()))

    def drawn(self) -> tuple[int | None, tuple[int, ...]]:
        """The best member and the members drawn: when they change, a panel redraws its curves."""
        return self.best(), tuple(self.shown())

    def curves(self, colour: Colour, drawn: tuple[int | None, tuple[int, ...]]) -> list[Curve]:
        """The members drawn (as drawn() gives them) faint, the best last, on top, in the
        trainer's colour; no label: the panel's title names the trainer."""
        best, shown = drawn
        others = [Curve(self.series[k], faint(colour)) for k in shown if k != best]
        return others + ([] if best is None else [Curve(self.series[best], colour)])

    def summary(self, width: int = 200) -> str:
        """`16 members · best lr 3.2e-06 · 2 diverged`, and how many a panel draws; in fewer
        than `width` characters `best lr 3.2e-06 · 2/16 diverged`, then `2/16 diverged` (how
        many diverged says which values work), the best member, or `16 members`. The best
        member's values keep their word "best": alone they would read as the trainer's own."""
        count, best, diverged = len(self.members), self.best(), int(self.diverged().sum())
        drawn = len(self.shown())
        members = f"{count} members" + (f" ({drawn} drawn)" if drawn < count - diverged else "")
        values = "" if best is None else describe_values(self.members[best]).replace("=", " ")
        parts = [
            members,
            f"best {values}" if values else "",
            f"{diverged} diverged" * bool(diverged),
        ]
        share = f"{diverged}/{count} diverged" * bool(diverged)
        best_values = f"best {values}" * bool(values)
        fewer = (" · ".join(part for part in (best_values, share) if part), share, best_values,
                 f"{count} members")  # fmt: skip
        for text in (" · ".join(part for part in parts if part), *fewer):
            if text and len(text) <= width:
                return text
        return ""

    def member_logs(self, trainer: str) -> dict[str, LossLog]:
        """Each member's kept history, named as its CSV column and TensorBoard run are."""
        return {run_name(trainer, k): log for k, log in enumerate(self.logs)}
