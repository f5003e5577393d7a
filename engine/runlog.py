"""Provides run logs: each run's settings and loss records in a directory of its own."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.config import ConfigError, RunConfig
from engine.events import Event, TrainerStarted
from engine.records import RecordWriter


def config_record(config: RunConfig) -> dict[str, Any]:
    """The run's settings as JSON-ready values, with each trainer's resolved spec."""
    settings = dataclasses.asdict(config)
    settings["init_from"] = None if config.init_from is None else str(config.init_from)
    settings["specs"] = [dataclasses.asdict(spec) for spec in config.specs()]
    return settings


def check_log_dir(log_dir: Path) -> None:
    """Refuses a --log-dir that is a file, lies under one, or can't be written; creates nothing."""
    existing = log_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise log_dir_error(log_dir, f"{existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise log_dir_error(log_dir, f"{existing} is not writable")


def log_dir_error(log_dir: Path, problem: str) -> ConfigError:
    """Bad input: the run log can't go in log_dir, and why."""
    return ConfigError(f"--log-dir {log_dir}: {problem}; accepted: a folder you can write")


def new_run_id() -> str:
    """A run's name, its log folder's and TensorBoard's: its start time and six hex digits."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class RunLog:
    """Writes `<log_dir>/<time>-<id>/config.json` and `losses.jsonl`, flushed with every batch.

    A write that fails (a full disk) turns the log off: `error` says why, `on_error` is told
    once, and the run goes on without it.

    Raises:
        ConfigError: the directory can't be created or written.
    """

    def __init__(self, config: RunConfig, log_dir: Path) -> None:
        check_log_dir(log_dir)
        name = new_run_id()
        self.path = log_dir / name
        try:
            self.path.mkdir(parents=True)
            (self.path / "config.json").write_text(json.dumps(config_record(config), indent=2))
            self.stream = (self.path / "losses.jsonl").open("w", encoding="utf-8")
        except OSError as error:  # where access() can't tell: root under /proc, a full disk
            raise log_dir_error(log_dir, f"can't create it ({error.strerror})") from None
        self.writer = RecordWriter(self.stream, config.log_every)
        self.error = ""
        self.on_error: Callable[[str], None] = lambda message: None

    def write(self, event: Event) -> None:
        """Logs an event's records; each batch is flushed, so a crash loses at most one."""
        if isinstance(event, TrainerStarted):
            self.mark_start(event.config, event.trainer, event.run)
        self._guarded(self.writer.write, event)

    def mark_start(self, config: RunConfig, name: str, run: int) -> None:
        """Records that a trainer (re)starts from iteration 0, with every setting it runs with.

        Its records so far are an old run; a replay takes the settings of its last start. `time`
        (seconds since the epoch) places the start's points when a replay is converted.
        """
        spec = config.spec(name)
        settings = config_record(config)
        del settings["specs"]
        record = {"trainer": name, "event": "start", "run": run, "iters": config.iters,
                  "lr": spec.lr, "device": spec.device, "spec": dataclasses.asdict(spec),
                  "settings": settings, "time": round(time.time(), 6)}  # fmt: skip
        self._guarded(self._write_line, json.dumps(record) + "\n")

    def _write_line(self, line: str) -> None:
        self.stream.write(line)
        self.stream.flush()

    def _guarded(self, write: Callable[[Any], None], item: Any) -> None:
        if self.error:
            return
        try:
            write(item)
        except OSError as error:
            self.fail(error, "; training goes on")

    def close(self) -> None:
        """Flushes and closes the log."""
        try:
            self.stream.close()
        except OSError as error:
            if not self.error:
                self.fail(error)

    def fail(self, error: OSError, then: str = "") -> None:
        """Turns the log off, keeping why, and tells on_error."""
        self.error = f"run log: cannot write {self.path}: {error.strerror or error}{then}"
        self.on_error(self.error)
