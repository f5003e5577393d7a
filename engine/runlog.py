"""Provides run logs: each run's settings and loss records in a directory of its own."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from pathlib import Path
from typing import Any

from engine.config import ConfigError, RunConfig, TrainerSpec
from engine.events import Event, TrainerStarted
from engine.records import RecordWriter


def config_record(config: RunConfig) -> dict[str, Any]:
    """The run's settings as JSON-ready values, with each trainer's resolved spec."""
    settings = dataclasses.asdict(config)
    settings["init_from"] = None if config.init_from is None else str(config.init_from)
    settings["specs"] = [dataclasses.asdict(spec) for spec in config.specs()]
    return settings


class RunLog:
    """Writes `<log_dir>/<time>-<id>/config.json` and `losses.jsonl`, flushed with every batch.

    Raises:
        ConfigError: the directory can't be created or written.
    """

    def __init__(self, config: RunConfig, log_dir: Path) -> None:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        self.path = log_dir / name
        try:
            self.path.mkdir(parents=True)
            (self.path / "config.json").write_text(json.dumps(config_record(config), indent=2))
            self.stream = (self.path / "losses.jsonl").open("w", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write the run log in {log_dir}: {error.strerror}") from None
        self.writer = RecordWriter(self.stream, config.log_every)

    def write(self, event: Event) -> None:
        """Logs an event's records; each batch is flushed, so a crash loses at most one."""
        if isinstance(event, TrainerStarted):
            self.mark_start(event.config.spec(event.trainer), event.config.iters, event.run)
        self.writer.write(event)

    def mark_start(self, spec: TrainerSpec, iters: int, run: int) -> None:
        """Records that a trainer (re)starts from iteration 0: its records so far are an old run."""
        record = {"trainer": spec.name, "event": "start", "run": run, "iters": iters,
                  "lr": spec.lr, "device": spec.device}  # fmt: skip
        self.stream.write(json.dumps(record) + "\n")

    def close(self) -> None:
        """Flushes and closes the log."""
        self.stream.close()
