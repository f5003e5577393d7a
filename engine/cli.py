"""Provides the `mlp-tui` flags, shared by the headless run and the app, turned into a RunConfig."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import IO, NoReturn

from engine.config import TRAINERS, ConfigError, RunConfig, check_lr, validate
from engine.data import load_start, sizes_of
from engine.runspec import toml_argv
from engine.workers import WORKER_MODES


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line of ConfigError, not usage and exit."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _lr(text: str) -> tuple[str | None, float]:
    name, _, value = text.rpartition("=")
    if name and name not in TRAINERS:
        raise argparse.ArgumentTypeError(
            f"unknown trainer {name!r}; accepted: {', '.join(TRAINERS)}"
        )
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    try:
        return (name or None), check_lr("learning rate", number)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a finite number above 0; accepted: VALUE or TRAINER=VALUE (e.g. 1e-4)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    """The flags of `mlp-tui`; the app takes the same ones to preset its run."""
    parser = _Parser(
        prog="mlp-tui", description="Train one two-layer network four ways, side by side."
    )
    add = parser.add_argument
    add(
        "--headless",
        action="store_true",
        help="train without the dashboard; print a table or JSONL",
    )
    add(
        "--trainers",
        default=",".join(TRAINERS),
        help="comma-separated, from: " + ", ".join(TRAINERS),
    )
    add("--iters", type=_whole, default=1000, help="iterations per trainer (1000)")
    add("--n", type=_whole, default=64, help="batch size N (64)")
    add("--d-in", type=_whole, default=1000, help="input size D_in (1000)")
    add("--hidden", type=_whole, default=100, help="hidden size H (100)")
    add("--d-out", type=_whole, default=10, help="output size D_out (10)")
    add(
        "--lr",
        type=_lr,
        action="append",
        default=[],
        metavar="VALUE|TRAINER=VALUE",
        help="learning rate for all chosen trainers, or for one (repeatable)",
    )
    add("--optimizer", default="adam", help="torch-optim's: adam, sgd, momentum, rmsprop (adam)")
    add("--init", default=None, help="weights: normal (N(0,1)) or default (nn.Linear's)")
    add("--no-bias", action="store_true", help="no b1, b2 in any trainer")
    add("--same-start", action="store_true", help="identical weights, biases and dtype everywhere")
    add("--dtype", default=None, help="float32 or float64 for every trainer")
    add("--seed", type=_whole, default=0, help="seed of the data and the weights (0)")
    add("--device", default="cpu", help="torch trainers on cpu, cuda, cuda:N or mps (cpu)")
    add(
        "--init-from",
        type=Path,
        default=None,
        metavar="FILE.npz",
        help="x, y, w1, w2 (and b1, b2) to start every trainer from; sizes come from the file",
    )
    add(
        "--log-every",
        type=_whole,
        default=10,
        metavar="K",
        help="a JSONL loss record every K iterations",
    )
    add("--jsonl", default=None, metavar="PATH|-", help="write JSON lines to PATH, or - for stdout")
    add("--log-dir", type=Path, default=Path("runs"), help="where run logs go (runs/)")
    add("--no-log", action="store_true", help="write no run log")
    add("--config", type=Path, default=None, metavar="RUN.toml", help="settings from a TOML file")
    add("--replay", type=Path, default=None, metavar="RUN_DIR", help="open a past run's log")
    add(
        "--compare",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="draw a past run's curves faintly beside the live ones",
    )
    add("--gradcheck", action="store_true", help="check the backward passes, print, exit")
    add("--quiet", action="store_true", help="no terminal bell when every trainer has ended")
    add(
        "--workers",
        default="process",
        help="where trainers compute: process (default: a child process per trainer) or thread",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Builds and validates the run described by the flags (raises ConfigError)."""
    if args.workers not in WORKER_MODES:
        raise ConfigError(f"unknown workers {args.workers!r}; accepted: {', '.join(WORKER_MODES)}")
    trainers = tuple(name.strip() for name in args.trainers.split(",") if name.strip())
    lrs: dict[str, float] = {}
    for name, value in args.lr:
        lrs.update({name: value} if name else dict.fromkeys(trainers, value))
    sizes = {"n": args.n, "d_in": args.d_in, "hidden": args.hidden, "d_out": args.d_out}
    if args.init_from is not None:
        sizes = sizes_of(load_start(args.init_from))
    config = RunConfig(
        trainers=trainers, iters=args.iters, lr=lrs, optimizer=args.optimizer, init=args.init,
        no_bias=args.no_bias, same_start=args.same_start, dtype=args.dtype, seed=args.seed,
        device=args.device, init_from=args.init_from, log_every=args.log_every, **sizes,
    )  # fmt: skip
    config = validate(config)
    return with_device(config)


def with_device(config: RunConfig) -> RunConfig:
    """Checks the device exists and the torch arrays fit on it; cuda becomes cuda:0."""
    if config.device == "cpu" or all(name == "numpy" for name in config.trainers):
        return config
    from engine.devices import check_device_memory, resolve_device

    config = config.with_changes(device=resolve_device(config.device))
    check_device_memory(config)
    return config


def open_jsonl(target: str | None) -> IO[str] | None:
    """Opens the --jsonl target for writing (raises ConfigError when it can't be written)."""
    if target is None:
        return None
    if target == "-":
        return sys.stdout
    try:
        return open(target, "w", encoding="utf-8")  # the run owns it until it ends
    except OSError as error:
        raise ConfigError(f"cannot write --jsonl {target}: {error.strerror}") from None


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, RunConfig]:
    """Parses and validates the command line (raises ConfigError on bad input).

    With --config FILE, the file's settings come first and flags given beside it override them.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.config is not None:
        from_file = toml_argv(args.config, parser)
        try:  # the flags alone parsed, so what fails now is in the file
            args = parser.parse_args(from_file + argv)
        except ConfigError as error:
            raise ConfigError(f"in {args.config}: {error}") from None
    if args.headless and (args.replay or args.compare):
        raise ConfigError("--replay and --compare draw in the dashboard; leave out --headless")
    return args, config_from_args(args)
