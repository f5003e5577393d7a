"""Provides what a running trainer reports: batches of loss points, how it ended, its weights."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.config import RunConfig
from engine.data import Dataset, Params

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
    mode: str = ""  # "graphs" while the trainer runs captured in CUDA graphs
    notice: str = ""  # once: a one-line notice, e.g. that a graph capture failed
    member: Member | None = None  # in a sweep, whose losses these are

    @property
    def next_iter(self) -> int:
        """The iteration after the last one in this batch."""
        return self.first_iter + len(self.losses)


@dataclass(frozen=True)
class FamilyPoints:
    """A sweep's batch: the points of every member still running, for the same iterations.

    One message for the whole family, however many members: a per-member message each batch
    would cost the pipe and the app's event loop as much as the training.
    """

    trainer: str
    points: tuple[LossPoints, ...]
    run: int = 0

    @property
    def next_iter(self) -> int:
        """The iteration after the batch (the furthest member's)."""
        return max((points.next_iter for points in self.points), default=0)


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
    details: str = ""  # a failure's traceback, for the details view and the run log
    member: Member | None = None  # a sweep member's own end, inside its trainer's `members`
    members: tuple[TrainerEnded, ...] = ()  # a sweep's trainer end: each member's, in order

    @property
    def its_per_s(self) -> float:
        """Iterations per second over the trainer's whole run."""
        return self.iters / self.wall if self.wall > 0 else 0.0


@dataclass(frozen=True)
class TrainerStarted:
    """A trainer starts from iteration 0 with these settings; its earlier events are all sent.

    The runner sends it in this process (it never crosses a pipe) after the trainer's previous
    run, if any, has stopped and reported its end, and before the new run's first point.
    """

    trainer: str
    config: RunConfig
    run: int = 0


@dataclass(frozen=True)
class Weights:
    """A trainer's state after `iteration` updates, as asked for: its start data and weights.

    Everything `--init-from` reads, as float64 numpy arrays in numpy orientation (x @ w1).
    """

    trainer: str
    iteration: int
    lr: float
    data: Dataset
    params: Params
    run: int = 0


Event = LossPoints | FamilyPoints | TrainerPaused | TrainerEnded | TrainerStarted | Weights


def single_events(event: Event) -> list[Event]:
    """The event as the record writers take it: a family's batch as each member's points."""
    if isinstance(event, FamilyPoints):
        return [replace(points, run=event.run) for points in event.points]
    return [event]
