"""Provides what a running trainer reports: batches of loss points and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

DONE, DIVERGED, FAILED, STOPPED = "done", "diverged", "failed", "stopped"


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

    @property
    def its_per_s(self) -> float:
        """Iterations per second over the trainer's whole run."""
        return self.iters / self.wall if self.wall > 0 else 0.0


Event = LossPoints | TrainerPaused | TrainerEnded
