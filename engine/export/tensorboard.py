"""Provides TensorBoard event files: a run's losses as they are logged, or a past run converted.

Written by torch.utils.tensorboard's SummaryWriter, which needs the `tensorboard` package (the
`tensorboard` extra). Each trainer is one TensorBoard run, `DIR/<run-id>/<trainer>` (a trainer
the app starts again becomes `<trainer>-2`, `-3`...): the scalar `loss` at every logged iteration
(the points --jsonl writes) with its wall time, and the run's settings as text and hparams.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.config import RunConfig
from engine.events import Event, LossPoints, TrainerStarted
from engine.flags import build_parser
from engine.records import loss_records
from engine.replay import PastRun, Start, run_name
from engine.runlog import new_run_id
from engine.runspec import command_line

FLUSH_SECONDS = 1  # how often the SummaryWriter's own thread writes what it has queued


def settings(config: RunConfig, trainer: str) -> dict[str, Any]:
    """A trainer's settings as hparams: its spec, the sizes and the iterations."""
    spec = dataclasses.asdict(config.spec(trainer))
    spec["trainer"] = spec.pop("name")
    sizes = {key: getattr(config, key) for key in ("n", "d_in", "hidden", "d_out", "iters")}
    values = {**spec, **sizes, "same_start": config.same_start, "log_every": config.log_every}
    return {key: str(value) if isinstance(value, bool) else value for key, value in values.items()}


def _open_run(folder: Path, config: RunConfig, trainer: str) -> Any:
    """A SummaryWriter for one trainer's run, its settings already written."""
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    writer = SummaryWriter(str(folder), flush_secs=FLUSH_SECONDS)
    values = settings(config, trainer)
    table = "\n".join(f"| {key} | {value} |" for key, value in values.items())
    command = command_line(config, build_parser())
    writer.add_text("settings", f"`{command}`\n\n| setting | value |\n|---|---|\n{table}")
    assert writer.file_writer is not None  # made by SummaryWriter's constructor
    for summary in hparams(values, {"loss": None}):
        writer.file_writer.add_summary(summary)
    return writer


def _add_losses(writer: Any, points: Iterable[tuple[int, float, float]]) -> None:
    """Adds (iteration, loss, wall time) points as the scalar `loss`."""
    for iteration, loss, wall in points:
        writer.add_scalar("loss", loss, iteration, walltime=wall)


def numbered(run: str, count: int) -> str:
    """The folder of a run's count-th start: `numpy`, then `numpy-2`, `numpy-3`..."""
    return run if count == 1 else f"{run}-{count}"


def convert_run(past: PastRun, root: Path) -> list[Path]:
    """Writes every start of a past run's trainers as the live run writes them, under
    `root/<run folder's name>/`: `<trainer>` (a sweep's `<trainer>/member-k`), a start again
    `<trainer>-2`, `-3`..., each with its start's settings; returns those folders.

    Wall times are each start's time plus each record's seconds: its start record's time, or in
    logs without one, where the trainer's previous start ended (the first at the run log's
    start, its config.json's time).
    """
    folders: list[Path] = []
    counts: dict[str, int] = {}  # each run's starts so far
    for start, began in _start_times(past):
        for run, log in start.logs.items():  # numpy, or a sweep's numpy/member-3
            if not log.size:
                continue  # the live writer opens a run with its first point
            counts[run] = counts.get(run, 0) + 1
            folder = root / past.path.resolve().name / numbered(run, counts[run])
            writer = _open_run(folder, start.config, start.trainer)
            times = [began + (t if math.isfinite(t) else 0.0) for t in log.times.tolist()]
            _add_losses(writer, zip(log.iters.tolist(), log.losses.tolist(), times, strict=True))
            writer.close()
            folders.append(folder)
    return folders


def _start_times(past: PastRun) -> Iterator[tuple[Start, float]]:
    """Every start of the past run, with when it began (seconds since the epoch)."""
    base = (past.path / "config.json").stat().st_mtime
    ended: dict[str, float] = {}  # each trainer's previous start's end
    for start in past.starts:
        began = start.time if start.time is not None else ended.get(start.trainer, base)
        wall = (start.end or {}).get("wall")
        if not isinstance(wall, (int, float)) or not math.isfinite(wall):
            times = [log.times[-1] for log in start.logs.values() if log.size]
            wall = max((t for t in times if math.isfinite(t)), default=0.0)
        ended[start.trainer] = began + wall
        yield start, began


class TensorBoardWriter:
    """A record sink writing each trainer's logged losses as they come, in a thread of its own.

    The caller's thread only queues events (the app's event loop never waits on a file, nor on
    importing torch here); close() writes what is left and flushes.
    """

    def __init__(self, root: Path, run_id: str, config: RunConfig) -> None:
        self.root, self.folder = root, root / run_id
        self.error = ""
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.queue.put(config)
        self.thread = threading.Thread(target=self._work, name="tensorboard", daemon=True)
        self.thread.start()

    def write(self, event: Event) -> None:
        """Queues a batch's logged points, with the time it arrived (wall times come from it).

        A start queues its settings: those of the trainers started from then on.
        """
        if isinstance(event, TrainerStarted):
            self.queue.put(event.config)
        elif isinstance(event, LossPoints):
            self.queue.put((event, time.time()))

    def close(self) -> str:
        """Writes what is queued, flushes every file; returns the error that stopped it, or ""."""
        self.queue.put(None)
        self.thread.join()
        return self.error

    def _work(self) -> None:
        config: RunConfig | None = None
        runs, closing = _Runs(self.folder), False
        try:
            while (item := self.queue.get()) is not None:
                if isinstance(item, RunConfig):
                    config = item
                elif config is not None:
                    runs.add(config, *item)
            closing = True
            runs.close()
        except Exception as error:  # a full disk, a broken install: the training goes on
            self.error = f"TensorBoard files in {self.folder} stopped: {error}"
            with contextlib.suppress(Exception):
                runs.close()
            while not closing and self.queue.get() is not None:
                pass  # what is queued until close() is dropped


def _run_name(points: LossPoints) -> str:
    """The trainer, or in a sweep the trainer's member: its TensorBoard run's folder."""
    return run_name(points.trainer, None if points.member is None else points.member.index)


class _Runs:
    """The open TensorBoard runs: one per trainer (and sweep member) and start, with the wall time
    it started at. A sweep's member k is the run <trainer>/member-k."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.open: dict[str, tuple[int, Any, float]] = {}  # trainer -> (run, writer, start time)
        self.starts: dict[str, int] = {}

    def add(self, config: RunConfig, points: LossPoints, arrived: float) -> None:
        run = self.open.get(_run_name(points))
        if run is None or run[0] != points.run:
            run = self._start(config, points, arrived)
        _, writer, started = run
        records = loss_records(points, config.log_every)
        _add_losses(writer, ((r["iter"], r["loss"], started + r["t"]) for r in records))

    def _start(
        self, config: RunConfig, points: LossPoints, arrived: float
    ) -> tuple[int, Any, float]:
        name = _run_name(points)
        if name in self.open:
            self.open[name][1].close()
        self.starts[name] = self.starts.get(name, 0) + 1
        count = self.starts[name]
        folder = self.folder / numbered(name, count)
        writer = _open_run(folder, config, points.trainer)
        started = arrived - (points.times[-1] if points.times else 0.0)
        self.open[name] = (points.run, writer, started)
        return self.open[name]

    def close(self) -> None:
        for _, writer, _ in self.open.values():
            writer.close()


def start_writer(
    root: Path | None, config: RunConfig, run_log_path: Path | None
) -> TensorBoardWriter | None:
    """The live run's writer (None without --tensorboard), named after its run log folder or,
    with --no-log, a new run id."""
    if root is None:
        return None
    return TensorBoardWriter(root, run_log_path.name if run_log_path else new_run_id(), config)


def convert_replay(past: PastRun, root: Path) -> int:
    """`--headless --replay RUN --tensorboard DIR`: converts, prints the runs written, exit 0."""
    print("wrote " + ", ".join(str(folder) for folder in convert_run(past, root)))
    return 0
