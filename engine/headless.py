"""Provides `mlp-tui --headless`: runs the trainers, shows progress, then a table or JSON lines."""

from __future__ import annotations

import queue
import signal
import sys
import time
from pathlib import Path
from typing import IO

from engine.config import RunConfig
from engine.events import FAILED, STOPPED, Event, LossPoints, TrainerEnded, single_events
from engine.export.weights import WeightsKeeper, save_final
from engine.loop import WEIGHTS_ALWAYS, WEIGHTS_NEVER
from engine.records import RecordSink, RecordWriter
from engine.runlog import RunLog
from engine.runner import Runner

PROGRESS_SECONDS = 0.5


class Progress:
    """Each trainer's latest iteration and loss, and how it ended."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.latest: dict[str, tuple[int, float]] = {}
        self.ended: dict[str, TrainerEnded] = {}
        self.member_loss: dict[str, dict[int, float]] = {}  # a sweep's latest loss per member

    def update(self, event: Event) -> None:
        """Takes in one event from the runner."""
        if isinstance(event, LossPoints):
            self.latest[event.trainer] = (event.next_iter, event.losses[-1])
            if event.notice:
                print(f"mlp-tui: {event.trainer}: {event.notice}", file=sys.stderr)
            if event.member is not None:  # a sweep: each member's latest loss
                latest = self.member_loss.setdefault(event.trainer, {})
                latest[event.member.index] = event.losses[-1]
        elif isinstance(event, TrainerEnded):
            self.ended[event.trainer] = event

    @property
    def finished(self) -> bool:
        """True once every trainer has ended."""
        return len(self.ended) == len(self.config.trainers)

    def lines(self) -> list[str]:
        """One live line per trainer: iteration i/N and current loss."""
        out = []
        for name in self.config.trainers:
            done, loss = self.latest.get(name, (0, float("nan")))
            if name in self.member_loss:  # a sweep: the lowest of its members' losses
                loss = min(self.member_loss[name].values())
            state = self.ended[name].status if name in self.ended else "running"
            out.append(f"{name:<15} {done:>8}/{self.config.iters:<8} loss {loss:<12.6g} {state}")
        return out

    def table(self) -> str:
        """The closing table: trainer, device, dtype, iterations, final loss, wall, it/s."""
        if self.config.sweep:
            from engine.sweep.table import sweep_table

            return sweep_table(self.config, self.ended)
        header = ("trainer", "status", "device", "dtype", "iters", "final loss", "wall s", "it/s")
        rows = [header]
        for name in self.config.trainers:
            spec, end = self.config.spec(name), self.ended[name]
            loss = "-" if end.final_loss is None else f"{end.final_loss:.6g}"
            rows.append((name, end.status, spec.device, spec.dtype, str(end.iters), loss,
                         f"{end.wall:.2f}", f"{end.its_per_s:.4g}"))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        )


class _LiveLines:
    """Redraws the progress lines in place on a terminal; silent when stderr is not one."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.drawn = 0
        self.last = 0.0

    def show(self, lines: list[str], force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < PROGRESS_SECONDS):
            return
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self.stream.flush()
        self.drawn, self.last = len(lines), now


class Interrupted(Exception):
    """SIGTERM or SIGHUP arrived: stop like ^C, exiting 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def run_headless(
    config: RunConfig,
    jsonl: IO[str] | None,
    mode: str,
    run_log: RunLog | None = None,
    tensorboard: RecordSink | None = None,
    save_weights: Path | None = None,
) -> int:
    """Trains to the end and reports; returns the exit code.

    0 when every trainer is done or diverged, 1 when one failed (or the weights could not be
    saved), 130 on ^C, 143 on SIGTERM, 129 on SIGHUP (the run stops, and what it trained is
    still reported, and its weights saved).
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupted)
    events: queue.Queue[Event] = queue.Queue()
    progress = Progress(config)
    sinks: list[RecordSink] = [RecordWriter(jsonl, config.log_every)] if jsonl else []
    keeper = WeightsKeeper()  # keeps the weights trainers send as they end, or are stopped
    sinks += [sink for sink in (run_log, tensorboard, keeper) if sink is not None]
    live = _LiveLines(sys.stderr)
    when = WEIGHTS_NEVER if save_weights is None else WEIGHTS_ALWAYS
    runner = Runner(config, events.put, mode, when, run_log.path if run_log else None)
    if run_log is not None:  # a full disk ends the log, not the run
        run_log.on_error = lambda text: print(f"mlp-tui: warning: {text}", file=sys.stderr)
    interrupted = 0
    try:
        runner.start()
        _drain(events, progress, sinks, live)
    except (KeyboardInterrupt, Interrupted) as stop:
        interrupted = stop.code if isinstance(stop, Interrupted) else 130
        for signum in (signal.SIGTERM, signal.SIGHUP):  # `timeout` signals the command, then
            signal.signal(signum, signal.SIG_IGN)  # its group: the second must not break the stop
        runner.stop()  # every started trainer has sent its end by the time this returns
        _drain(events, progress, sinks, live, wait=False)
        for name in config.trainers:  # a signal during start: some never began
            if name not in progress.ended:
                events.put(TrainerEnded(name, STOPPED, 0, None, 0.0, "stopped before it started"))
        _drain(events, progress, sinks, live)
    runner.stop()  # every worker has reported its end; wait for the threads themselves
    live.show(progress.lines(), force=True)
    if jsonl is not sys.stdout:
        print(progress.table())
    for end in progress.ended.values():
        if end.status == FAILED:
            print(f"mlp-tui: {end.trainer} failed: {end.message}", file=sys.stderr)
    quiet = jsonl is sys.stdout
    saved = save_weights is None or _save_weights(keeper, config, save_weights, quiet)
    if interrupted:
        return interrupted
    return 1 if any(end.status == FAILED for end in progress.ended.values()) or not saved else 0


def _save_weights(keeper: WeightsKeeper, config: RunConfig, folder: Path, quiet: bool) -> bool:
    """Writes each trainer's last weights and says where (on stderr when stdout is JSON lines)."""
    try:
        text = save_final(folder, keeper, config.trainers)
    except OSError as error:
        print(f"mlp-tui: cannot save the weights in {folder}: {error.strerror}", file=sys.stderr)
        return False
    print(text, file=sys.stderr if quiet else sys.stdout)
    return True


def _drain(
    events: queue.Queue[Event],
    progress: Progress,
    sinks: list[RecordSink],
    live: _LiveLines,
    wait: bool = True,
) -> None:
    """Takes events until every trainer has ended, or (wait=False) until none is queued."""
    while not progress.finished:
        try:
            event = events.get(timeout=PROGRESS_SECONDS) if wait else events.get_nowait()
        except queue.Empty:
            if not wait:
                return
            live.show(progress.lines())
            continue
        for single in single_events(event):  # a sweep's batch: each member's points
            progress.update(single)
            for sink in sinks:
                sink.write(single)
        live.show(progress.lines())
