"""Provides what a running trainer reports: batches of loss points and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

DONE, DIVERGED, FAILED, STOPPED = "done", "diverged", "failed", "stopped"


@dataclass(frozen=True)
class Member:
    """One member of a sweep: its number in grid order and its swept values by name."""

    index: int
    values: dict[str, float]  # e.g. {"lr": 1e-05, "seed": 3}, the names of the records


@dataclass(frozen=True)
class LossPoints:
    """Consecutive iterations of one trainer: their losses and seconds since it started."""

    trainer: str
    first_iter: int
    losses: list[float]
    times: list[float] = field(default_factory=list)
    run: int = 0  # which start of this trainer it came from; the runner numbers them
    member: Member | None = None  # in a sweep, whose losses these are

    @property
    def next_iter(self) -> int:
        """The iteration after the last one in this batch."""
        return self.first_iter + len(self.losses)


@dataclass(frozen=True)
class TrainerPaused:
    """A trainer is holding after `iters` iterations, every one of them already reported."""

    trainer: str
    iters: int
    run: int = 0


@dataclass(frozen=True)
class TrainerEnded:
    """A trainer's end: done, diverged, failed or stopped, after `iters` iterations."""

    trainer: str
    status: str
    iters: int
    final_loss: float | None
    wall: float
    message: str = ""
    run: int = 0
    member: Member | None = None  # a sweep member's own end, inside its trainer's `members`
    members: tuple[TrainerEnded, ...] = ()  # a sweep's trainer end: each member's, in order

    @property
    def its_per_s(self) -> float:
        """Iterations per second over the trainer's whole run."""
        return self.iters / self.wall if self.wall > 0 else 0.0


Event = LossPoints | TrainerPaused | TrainerEnded
