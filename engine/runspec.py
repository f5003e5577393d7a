"""Provides run specs: a TOML file taking the flags' keys, and the command line of a run."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.config import SEED_LR, ConfigError, RunConfig
from engine.sweep.spec import axis_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (Ubuntu 22.04's): the same parser, from PyPI
    import tomli as tomllib

# These say what to run, not how (and a file saying serve would have each served app serve again).
NOT_IN_FILES = {
    "help",
    "version",
    "config",
    "replay",
    "compare",
    "gradcheck",
    "serve",
    "host",
    "port",
}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's flags by their destination name (which is also RunConfig's field name)."""
    return {
        action.dest: action
        for action in parser._actions
        if action.option_strings and action.dest not in NOT_IN_FILES
    }


def toml_argv(path: Path, parser: argparse.ArgumentParser) -> list[str]:
    """The flags a run.toml stands for; its keys are the flags' names (d_in or d-in).

    Raises:
        ConfigError: the file can't be read, isn't TOML, or has a key or value not accepted.
    """
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read --config {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"--config {path} is not valid TOML: {error}") from None
    options = _options(parser)
    argv: list[str] = []
    for key, value in table.items():
        action = options.get(key.replace("-", "_"))
        if action is None:
            accepted = ", ".join(sorted(options))
            raise ConfigError(f"unknown key {key!r} in {path}; accepted: {accepted}")
        argv += _flag_values(action, value, f"{key} in {path}")
    return argv


def _flag_values(action: argparse.Action, value: Any, where: str) -> list[str]:
    flag = action.option_strings[0]
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return [flag] if value else []
    if action.dest == "lr" and isinstance(value, dict):
        return [part for name, lr in value.items() for part in (flag, f"{name}={lr}")]
    if action.dest == "trainers" and isinstance(value, list):
        value = ",".join(str(name) for name in value)
    if action.dest in ("sweep", "key") and isinstance(value, list):  # sweep = ["lr=1e-6", ...]
        return [part for axis in value for part in (flag, str(axis))]
    if isinstance(value, (bool, dict, list)):
        raise ConfigError(f"{where} must be a number or text, got {value!r}")
    return [flag, str(value)]


def command_line(
    config: RunConfig, parser: argparse.ArgumentParser, outputs: Mapping[str, Any] | None = None
) -> str:
    """The `mlp-tui` command that runs this config, with only the flags that differ from default.

    Args:
        outputs: flags beside the settings, by destination (e.g. tensorboard); None leaves one out.
    """
    options, default = _options(parser), RunConfig()
    parts = ["mlp-tui"]
    for field in dataclasses.fields(RunConfig):
        value, flag = getattr(config, field.name), options[field.name].option_strings[0]
        if field.name == "lr":
            parts += [
                part
                for name in config.trainers
                if config.spec(name).lr != SEED_LR[name]
                for part in (flag, f"{name}={config.spec(name).lr!r}")
            ]
        elif value == getattr(default, field.name) or value is None:
            continue
        elif isinstance(value, bool):
            parts.append(flag)
        elif field.name == "sweep":
            parts += [part for axis in value for part in (flag, axis_text(*axis))]
        else:
            parts += [flag, ",".join(value) if field.name == "trainers" else str(value)]
    for dest, value in (outputs or {}).items():
        parts += [] if value is None else [options[dest].option_strings[0], str(value)]
    return shlex.join(parts)
