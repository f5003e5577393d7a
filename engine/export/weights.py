"""Provides weight files in `--init-from`'s format, and gathering every trainer's weights for them.

A file holds `x`, `y`, `w1`, `w2` (and `b1`, `b2` when the trainer has biases) in numpy
orientation, `x @ w1`, float64, as engine.data.load_start reads them, plus `iteration` (the updates
in the weights) and `lr`. Trainers send their weights as Weights events from wherever they run
(a thread or a child process): when asked through their gate, or as they end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from engine.events import Event, TrainerEnded, Weights

Answer = Weights | str  # a trainer's weights, or why there are none


def weights_arrays(weights: Weights) -> dict[str, Any]:
    """The arrays of a weight file, by name."""
    params = weights.params
    arrays = {"x": weights.data.x, "y": weights.data.y, "w1": params.w1, "w2": params.w2}
    if params.b1 is not None and params.b2 is not None:
        arrays |= {"b1": params.b1, "b2": params.b2}
    return arrays | {"iteration": np.array(weights.iteration), "lr": np.array(weights.lr)}


def save_weights(folder: Path, weights: Weights) -> Path:
    """Writes `folder/<trainer>.npz` through a temporary file, so no half-written file is left.

    Raises:
        OSError: the folder can't be made or written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{weights.trainer}.npz"
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as stream:
        np.savez(stream, **weights_arrays(weights))
    partial.replace(path)
    return path


def save_answers(folder: Path, answers: Mapping[str, Answer]) -> tuple[list[Path], list[str]]:
    """Writes each trainer's weights; returns the files and, for each trainer without one, why.

    Raises:
        OSError: the folder can't be made or written.
    """
    paths, missing = [], []
    for name, answer in answers.items():
        if isinstance(answer, str):
            missing.append(f"{name} ({answer})")
        elif not all(np.all(np.isfinite(a)) for a in weights_arrays(answer).values()):
            missing.append(f"{name} (its weights are not finite: --init-from would refuse them)")
        else:
            paths.append(save_weights(folder, answer))
    return paths, missing


def saved_text(paths: list[Path], missing: list[str]) -> str:
    """One line saying which weight files were written, and which trainers have none."""
    parts = ["wrote " + ", ".join(str(path) for path in paths)] if paths else []
    return "; ".join(parts + (["no weights from " + ", ".join(missing)] if missing else []))


def save_final(folder: Path, keeper: WeightsKeeper, names: Iterable[str]) -> str:
    """After a run: writes the weights each trainer sent as it ended; says what was written.

    Raises:
        OSError: the folder can't be made or written.
    """
    keeper.ask({name: keeper.ends[name].run for name in names if name in keeper.ends})
    return saved_text(*save_answers(folder, keeper.answers))


class WeightsKeeper:
    """Each trainer's latest weights, and one request for all of them (the app's k, a run's end).

    A running trainer is asked through its gate and answers before its next iteration, while
    paused, or as it ends; one that has ended sent its weights then, if the runner was started
    with weights_at_end. Fed every event of the trainers' current runs.
    """

    def __init__(self) -> None:
        self.latest: dict[str, Weights] = {}
        self.ends: dict[str, TrainerEnded] = {}
        self.waiting: dict[str, int] = {}  # trainer -> the run that was asked
        self.answers: dict[str, Answer] = {}

    def ask(self, runs: Mapping[str, int]) -> list[str]:
        """Starts a request for these trainers (name -> current run); returns those to ask."""
        self.waiting, self.answers = {}, {}
        for name, run in runs.items():
            end = self.ends.get(name)
            if end is not None and end.run == run:
                self.answers[name] = self._from_end(end)
            else:
                self.waiting[name] = run
        return list(self.waiting)

    def write(self, event: Event) -> None:
        """As a record sink: keeps what an event says."""
        self.take(event)

    def take(self, event: Event) -> bool:
        """Keeps what an event says; True when it completes the request in flight."""
        name = event.trainer
        if isinstance(event, Weights):
            self.latest[name] = event
        elif isinstance(event, TrainerEnded):
            self.ends[name] = event
        asked = self.waiting.get(name)
        if asked is None:
            return False
        if event.run != asked:
            self.answers[name] = "restarted before it answered"
        elif isinstance(event, Weights):
            self.answers[name] = event
        elif isinstance(event, TrainerEnded):
            self.answers[name] = self._from_end(event)
        else:
            return False
        del self.waiting[name]
        return not self.waiting

    def _from_end(self, end: TrainerEnded) -> Answer:
        """The weights a trainer sent as it ended (none if it failed), or why there are none."""
        weights = self.latest.get(end.trainer)
        if weights is not None and weights.run == end.run and weights.iteration >= end.iters:
            return weights
        return f"{end.status}: {end.message}" if end.message else f"{end.status}, sent none"
