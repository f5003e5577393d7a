"""Provides past runs read back from their run log: settings, loss histories and how each ended."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import ConfigError, RunConfig, validate
from engine.history import LossLog


@dataclass
class PastRun:
    """A run as its log kept it: the last start of each trainer, and its end if it ended."""

    path: Path
    config: RunConfig
    logs: dict[str, LossLog] = field(default_factory=dict)
    ends: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_config(path: Path) -> RunConfig:
    """The RunConfig a run log's config.json records (raises ConfigError when unreadable)."""
    try:
        record = json.loads((path / "config.json").read_text(encoding="utf-8"))
        names = {item.name for item in dataclasses.fields(RunConfig)}
        values = {key: value for key, value in record.items() if key in names}
        values["trainers"] = tuple(values.get("trainers", ()))
        if values.get("init_from") is not None:
            values["init_from"] = Path(values["init_from"])
        return validate(RunConfig(**values), fits_here=False)
    except OSError as error:
        raise ConfigError(f"cannot read the run log {path}: {error.strerror}") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path}/config.json is not a run's settings: {error}") from None


def load_run(path: Path) -> PastRun:
    """Reads a run directory written by RunLog (raises ConfigError when it isn't one).

    A line cut short by a crash is skipped. When a trainer was restarted, its last start is
    kept: the log's records begin again at iteration 0.
    """
    past = PastRun(path, load_config(path))
    try:
        lines = (path / "losses.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"cannot read the run log {path}: {error.strerror}") from None
    for line in lines:
        try:
            _take_record(past, json.loads(line))
        except (ValueError, TypeError, KeyError):
            continue  # a partial last line, or something that isn't a record
    return past


def _take_record(past: PastRun, record: dict[str, Any]) -> None:
    name, event = record["trainer"], record.get("event")
    if name not in past.config.trainers:
        return
    if event == "start":  # the app restarted it, maybe with another lr or iteration count
        lr = {**past.config.lr, name: float(record["lr"])}
        past.config = dataclasses.replace(past.config, iters=int(record["iters"]), lr=lr)
        _restart(past, name)
    elif event == "notice":  # a note with a batch (graphs off, say), not an end
        return
    elif event is not None:
        past.ends[name] = record
    else:
        _take_loss(past, name, record)


def _restart(past: PastRun, name: str) -> None:
    past.ends.pop(name, None)
    past.logs[name] = LossLog(past.config.log_every)


def _take_loss(past: PastRun, name: str, record: dict[str, Any]) -> None:
    log = past.logs.get(name)
    if log is None or (record["iter"] == 0 and log.size):  # first, or restarted without a record
        _restart(past, name)
        log = past.logs[name]
    if record["iter"] == log.size * log.every:
        log.append([float(record["loss"])], [float(record.get("t", "nan"))])
