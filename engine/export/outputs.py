"""Provides the exporters' flags checked before anything is created, and run ids."""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path

from engine.config import ConfigError


def check_output_dir(path: Path, flag: str) -> None:
    """Raises ConfigError unless `path` is a directory that can be written, or can be created.

    Nothing is created here: the folder is made when the first file goes into it.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} {path} is a file; give a directory (created if missing)")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag} {path}: {existing} is a file, so no directory can be made there")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: cannot write in {existing}; give a writable directory")


INSTALL_TENSORBOARD = "pip install 'mlp-tui[tensorboard]'"


def check_outputs(args: argparse.Namespace) -> None:
    """Raises ConfigError for --tensorboard and --save-weights that can't be followed."""
    if args.save_weights is not None:
        if not args.headless or args.replay:
            raise ConfigError(
                "--save-weights saves a --headless run's weights; in the dashboard, press k"
            )
        check_output_dir(args.save_weights, "--save-weights")
    if args.tensorboard is None:
        return
    if importlib.util.find_spec("tensorboard") is None:
        raise ConfigError(f"--tensorboard needs the tensorboard package: {INSTALL_TENSORBOARD}")
    check_output_dir(args.tensorboard, "--tensorboard")
    if args.replay is not None:  # converting again would double every point
        target = args.tensorboard / args.replay.resolve().name
        if target.exists():
            raise ConfigError(f"{target} exists; remove it or give another --tensorboard DIR")
