"""Provides past runs read back from their run log: settings, loss histories and how each ended."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import ConfigError, RunConfig, TrainerSpec, validate
from engine.history import LossLog


@dataclass
class Start:
    """One start of a trainer as the log kept it: its settings, when it began (seconds since the
    epoch, in logs that record it), its histories by run name (`numpy`, or in a sweep
    `numpy/member-3`) and its end record, once it ended."""

    trainer: str
    config: RunConfig
    time: float | None = None
    logs: dict[str, LossLog] = field(default_factory=dict)
    end: dict[str, Any] | None = None


@dataclass
class PastRun:
    """A run as its log kept it: the last start of each trainer, and its end if it ended.

    `config` holds the settings of the last start of any trainer (what `y` prints); `specs` and
    `iters` each trainer's own last start; `problems` the lines that could not be read;
    `starts` every start of every trainer in the log's order (a TensorBoard conversion writes
    them all), and `current` each trainer's last one, the start the other fields show.
    """

    path: Path
    config: RunConfig
    logs: dict[str, LossLog] = field(default_factory=dict)
    ends: dict[str, dict[str, Any]] = field(default_factory=dict)
    specs: dict[str, TrainerSpec] = field(default_factory=dict)
    iters: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    members: dict[str, dict[int, LossLog]] = field(default_factory=dict)  # a sweep's, by number
    member_ends: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # end records
    starts: list[Start] = field(default_factory=list)
    current: dict[str, Start] = field(default_factory=dict)

    def named_logs(self) -> dict[str, LossLog]:
        """Every kept history by its name: `numpy`, or in a sweep `numpy/member-3`."""
        named: dict[str, LossLog] = {}
        for name in self.config.trainers:  # in the run's order, whichever trainer logged first
            if name in self.logs:
                named[name] = self.logs[name]
            logs = sorted(self.members.get(name, {}).items())
            named.update({run_name(name, k): log for k, log in logs})
        return named

    def end_of(self, name: str) -> dict[str, Any]:
        """The trainer's end record; for one its log leaves unfinished (the run was killed), an
        `unfinished` record with the iterations its log reached (a sweep's: the member furthest
        along) and, where the log has times, the speed over them (no `it_s` where it has none)."""
        if name in self.ends:
            return self.ends[name]
        logs = [self.logs[name]] if name in self.logs else self.members.get(name, {}).values()
        furthest = max(logs, key=lambda log: log.size, default=None)
        if furthest is None or not furthest.size:
            return {"event": "unfinished", "iters": 0}
        done = int(furthest.iters[-1]) + 1  # the last logged iteration's: what the log proves
        end: dict[str, Any] = {"event": "unfinished", "iters": done}
        seconds = float(furthest.times[-1])  # t of the last logged iteration, after its step
        if math.isfinite(seconds) and seconds > 0:
            end["it_s"] = done / seconds
        return end

    def trainer_log(self, name: str) -> LossLog | None:
        """The trainer's history; in a sweep, its best member's (the lowest final loss, as the
        panel picks it: the end record's, else the last logged)."""
        if name in self.logs:
            return self.logs[name]
        ends = self.member_ends.get(name, {})
        finished = {k: log for k, log in self.members.get(name, {}).items()
                    if log.size and ends.get(k, {}).get("event") != "diverged"}  # fmt: skip
        best = min(finished, key=lambda k: last_loss(finished[k], ends.get(k)), default=None)
        return None if best is None else finished[best]


def run_name(trainer: str, member: int | None) -> str:
    """A history's name: the trainer's, or a sweep member's `numpy/member-3`."""
    return trainer if member is None else f"{trainer}/member-{member}"


def config_from_record(record: dict[str, Any]) -> RunConfig:
    """The RunConfig that config_record wrote (raises ValueError, TypeError or AttributeError)."""
    names = {item.name for item in dataclasses.fields(RunConfig)}
    values = {key: value for key, value in record.items() if key in names}
    values["trainers"] = tuple(values.get("trainers", ()))
    values["sweep"] = tuple((name, tuple(axis)) for name, axis in values.get("sweep", ()))
    if values.get("init_from") is not None:
        values["init_from"] = Path(values["init_from"])
    return validate(RunConfig(**values), fits_here=False)


def load_config(path: Path) -> RunConfig:
    """The RunConfig a run log's config.json records (raises ConfigError when unreadable)."""
    if path.is_dir() and not (path / "config.json").exists():
        raise ConfigError(f"{path} is not a run log (it has no config.json); give a folder "
                          "under runs/, as the app writes them")  # fmt: skip
    try:
        return config_from_record(json.loads((path / "config.json").read_text(encoding="utf-8")))
    except OSError as error:
        raise ConfigError(f"cannot read the run log {path}: {error.strerror}") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path}/config.json is not a run's settings: {error}") from None


def load_run(path: Path) -> PastRun:
    """Reads a run directory written by RunLog (raises ConfigError when it isn't one).

    A line that can't be read (cut short by a crash, or corrupt) is skipped and named in
    `problems`; the trainer's later records still count. When a trainer was restarted, its
    last start is kept: the log's records begin again at iteration 0.
    """
    config = load_config(path)
    past = PastRun(path, config, specs={name: config.spec(name) for name in config.trainers},
                   iters=dict.fromkeys(config.trainers, config.iters))  # fmt: skip
    try:
        lines = (path / "losses.jsonl").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise ConfigError(f"cannot read the run log {path}: {reason}") from None
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            past.problems.append(f"losses.jsonl line {number}: not JSON, skipped")
            continue
        try:
            _take_record(past, record)
        except (ValueError, TypeError, KeyError, AttributeError):
            past.problems.append(f"losses.jsonl line {number}: not a run log record, skipped")
    return past


def _take_record(past: PastRun, record: dict[str, Any]) -> None:
    name, event = record["trainer"], record.get("event")
    if name not in past.config.trainers:
        return
    if event == "start":  # the app restarted it, maybe with other settings
        _take_start(past, name, record)
    elif event == "notice":  # a note with a batch (graphs off, say), not an end
        return
    elif event is not None and "member" in record:
        past.member_ends.setdefault(name, {})[int(record["member"])] = record
    elif event is not None:
        past.ends[name] = record
        if name in past.current:
            past.current[name].end = record
    else:
        _take_loss(past, name, record)


def _take_start(past: PastRun, name: str, record: dict[str, Any]) -> None:
    if "settings" in record:
        config = config_from_record(record["settings"])
        spec = TrainerSpec(**record["spec"])
    else:  # written before start records held every setting: only lr and iterations
        lr = {**past.config.lr, name: float(record["lr"])}
        config = dataclasses.replace(past.config, iters=int(record["iters"]), lr=lr)
        spec = config.spec(name)
    past.config = dataclasses.replace(config, trainers=past.config.trainers)
    past.specs[name], past.iters[name] = spec, config.iters
    time = record.get("time")  # logs from before start records held it have none
    _restart(past, name, None if time is None else float(time))


def _restart(past: PastRun, name: str, time: float | None = None) -> None:
    for kept in (past.ends, past.members, past.member_ends, past.logs):
        kept.pop(name, None)
    past.current[name] = start = Start(name, past.config, time)
    past.starts.append(start)
    if past.config.sweep:
        past.members[name] = {}
    else:
        past.logs[name] = start.logs[name] = LossLog(past.config.log_every)


def _take_loss(past: PastRun, name: str, record: dict[str, Any]) -> None:
    iteration, loss = int(record["iter"]), float(record["loss"])
    member = record.get("member")
    member = None if member is None else int(member)
    log = past.logs.get(name) if member is None else past.members.get(name, {}).get(member)
    if name not in past.current or (iteration == 0 and log is not None and log.size):
        _restart(past, name)  # first, or restarted without a record
        log = None
    if log is None:
        log = LossLog(past.config.log_every)
        if member is None:
            past.logs[name] = log
        else:
            past.members.setdefault(name, {})[member] = log
        past.current[name].logs[run_name(name, member)] = log
    expected = log.size * log.every
    if iteration % log.every or not expected <= iteration < past.iters[name]:
        raise ValueError(f"iteration {iteration} out of place")
    gap = [math.nan] * ((iteration - expected) // log.every)  # records lost to corrupt lines
    log.append([*gap, loss], [*gap, float(record.get("t", "nan"))])


def last_loss(log: LossLog, end: dict[str, Any] | None) -> float:
    """A past run's last loss: its end record's final loss, the last iteration's, where finite
    (the log keeps every K-th); else the last logged one; NaN with neither."""
    value = (end or {}).get("final_loss")
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return float(log.losses[-1]) if log.size else math.nan


def problems_notice(past: PastRun, shown: int = 3) -> str:
    """The lines of a past run's log that were skipped, a few of them named, for a notice."""
    more = len(past.problems) - shown
    named = past.problems[:shown] + ([f"and {more} more"] if more > 0 else [])
    return f"{past.path}: " + "; ".join(named)
