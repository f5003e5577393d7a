"""Provides the --sweep grammar, its checks, and each member's values and trainer spec."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from engine.config import ConfigError, RunConfig, TrainerSpec, check_lr, repeated
from engine.events import Member

MAX_MEMBERS = 1024
AXES = {"lr": "lr", "init-scale": "init_scale", "seed": "seed"}  # flag name -> record name
FLAG_NAMES = {record: flag for flag, record in AXES.items()}  # what a user reads and types
ACCEPTED = (
    "accepted: lr=V1,V2,... (each value once) or lr=A:B:K (K >= 2 log-spaced values, A != B), "
    "the same for init-scale, seed=S1,S2,... or seed=A:B (the whole numbers A to B)"
)


class AxisError(ConfigError):
    """One --sweep NAME=VALUES not accepted; `problem` says why, without the flag's text."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"--sweep {text!r}: {problem}")
        self.problem = problem


def parse_axis(text: str) -> tuple[str, tuple[float, ...]]:
    """One --sweep NAME=VALUES, as its record name and its values (raises AxisError)."""
    flag, equals, values = text.partition("=")
    if not equals:
        raise AxisError(text, f"not NAME=VALUES; {ACCEPTED}")
    if flag not in AXES:
        raise AxisError(text, f"{flag!r} is not a sweep axis; accepted: {', '.join(AXES)}")
    name = AXES[flag]
    try:
        parsed = _seeds(values) if name == "seed" else _positives(values)
    except ValueError as error:
        raise AxisError(text, f"{error}; {ACCEPTED}") from None
    if twice := repeated(parsed):  # identical members
        raise AxisError(text, f"{twice[0]!r} is given {twice[1]}; {ACCEPTED}")
    return name, parsed


def axis_text(name: str, values: tuple[float, ...]) -> str:
    """The --sweep argument that gives this axis back, the shorter of its range and its list:
    `lr=1e-07:0.0001:16`, `seed=0:7`, `lr=1e-06,3e-06`."""
    flag = next(flag for flag, record in AXES.items() if record == name)
    listed = ",".join(repr(int(value) if name == "seed" else value) for value in values)
    ranged = (f"{int(values[0])}:{int(values[-1])}" if name == "seed"
              else f"{values[0]!r}:{values[-1]!r}:{len(values)}")  # fmt: skip
    try:
        same = parse_axis(f"{flag}={ranged}") == (name, tuple(values))
    except ConfigError:
        same = False
    return f"{flag}={ranged if same and len(ranged) < len(listed) else listed}"


def _positives(text: str) -> tuple[float, ...]:
    if ":" not in text:
        return tuple(_positive(part) for part in text.split(","))
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError("a range is A:B:K")
    low, high, count = _positive(parts[0]), _positive(parts[1]), _whole(parts[2])
    if count < 2 or low == high:  # K=1 would drop B, and A=B make K identical members
        raise ValueError("a range A:B:K needs K >= 2 and A != B")
    # 12 significant digits: 1e-05, not 9.999999999999999e-06, so a member's lr can be typed back
    return tuple(float(f"{value:.12g}") for value in np.geomspace(low, high, count))


def _seeds(text: str) -> tuple[float, ...]:
    if ":" not in text:
        return tuple(_seed(part) for part in text.split(","))
    parts = text.split(":")
    if len(parts) != 2:
        raise ValueError("a seed range is A:B")
    low, high = _seed(parts[0]), _seed(parts[1])
    if high < low:
        raise ValueError(f"the range {low}:{high} is empty")
    return tuple(range(low, high + 1))


def _positive(text: str) -> float:
    try:
        return check_lr("a value", float(text))
    except (ValueError, ConfigError):
        raise ValueError(f"{text!r} is not a finite number above 0") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _seed(text: str) -> int:
    seed = _whole(text)
    if seed < 0:
        raise ValueError(f"a seed is 0 or more, got {seed}")
    return seed


def check_sweep(config: RunConfig) -> None:
    """Refuses a sweep that can't run: too many axes or members, or settings that clash."""
    names = [name for name, _ in config.sweep]
    if len(names) > 2 or len(set(names)) < len(names):
        raise ConfigError(f"--sweep takes up to two different axes, got {', '.join(names)}")
    for name, values in config.sweep:
        if name not in AXES.values() or not values:
            raise ConfigError(f"--sweep {name}: unknown axis or no values; {ACCEPTED}")
    if config.member_count > MAX_MEMBERS:
        raise ConfigError(
            f"--sweep makes {config.member_count} members; at most {MAX_MEMBERS} are accepted"
        )
    clashes = {
        "lr": any(name in config.lr for name in config.trainers) and "--lr",
        "init_scale": config.init_scale != 1.0 and "--init-scale",
        "seed": (config.init_seed is not None and "--init-seed")
        or (config.init_from is not None and "--init-from"),
    }
    flags = {record: flag for flag, record in AXES.items()}
    for name in names:
        if clashes[name]:
            raise ConfigError(
                f"--sweep {flags[name]} sets what {clashes[name]} sets for the same trainers; "
                "give one of them"
            )
    if config.init_seed is not None and config.init_seed < 0:
        raise ConfigError(f"--init-seed must be 0 or more, got {config.init_seed}")
    if config.init_seed is not None and config.init_from is not None:
        raise ConfigError(
            "--init-seed draws the start weights and --init-from loads them from a file; "
            "use one of them"
        )


def members(config: RunConfig) -> list[Member]:
    """The members in grid order, the first axis varying slowest."""
    names = [name for name, _ in config.sweep]
    grid = itertools.product(*(values for _, values in config.sweep))
    return [Member(k, dict(zip(names, point, strict=True))) for k, point in enumerate(grid)]


def member_spec(spec: TrainerSpec, member: Member) -> TrainerSpec:
    """The spec a single run with this member's settings would have."""
    values = member.values
    return replace(
        spec,
        lr=values.get("lr", spec.lr),
        init_scale=values.get("init_scale", spec.init_scale),
        seed=int(values.get("seed", spec.seed)),
    )


def describe_values(member: Member) -> str:
    """The member's values as `lr=1e-05 init-scale=2 seed=3`, named as --sweep names them."""
    return " ".join(f"{FLAG_NAMES[name]}={value:.4g}" for name, value in member.values.items())
