"""Provides the `mlp-tui` command line turned into a RunConfig, shared by the headless run and the
app: flags that go together or exclude each other, the device, the --jsonl target.

The flags themselves, and the parser, are in engine/flags.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

import numpy as np

from engine.config import ConfigError, RunConfig, validate
from engine.data import load_start, sizes_of
from engine.export.outputs import check_outputs
from engine.flags import SERVE_HOST, SERVE_PORT, build_parser
from engine.runspec import toml_argv
from engine.sweep.spec import parse_axis
from engine.workers import WORKER_MODES


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
        device=args.device, init_from=args.init_from, log_every=args.log_every,
        graphs=args.graphs, matmul_precision=args.matmul_precision, **sizes,
        sweep=tuple(parse_axis(text) for text in args.sweep), init_seed=args.init_seed,
        init_scale=args.init_scale,
    )  # fmt: skip
    config = validate(config)
    if config.torch_trainers:
        check_torch_numpy()
    return with_device(config)


# The first torch built for NumPy 2: an older one beside NumPy 2 fails at its first array
# ("Numpy is not available"; torch 2.2.2 with NumPy 2.4 here, while 2.3.1 ran the suite).
TORCH_FOR_NUMPY_2 = (2, 3)


def check_torch_numpy() -> None:
    """Refuses a torch built for NumPy 1 beside NumPy 2, from the installed versions alone (the
    command line imports no torch), before anything is created."""
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        return
    release = tuple(int(part) for part in re.findall(r"\d+", torch_version)[:2])
    if int(np.__version__.split(".")[0]) >= 2 and release < TORCH_FOR_NUMPY_2:
        raise ConfigError(
            f"torch {torch_version} was built for NumPy 1 and this is NumPy {np.__version__}: "
            "pip install 'numpy<2', or torch 2.3 or later"
        )


def with_device(config: RunConfig, running: RunConfig | None = None) -> RunConfig:
    """Checks the device exists and the torch arrays fit on it; cuda becomes cuda:0.

    Args:
        running: the run these settings replace (its device memory is counted as free).
    """
    if config.device == "cpu" or not config.torch_trainers:
        return config
    from engine.devices import check_device_memory, resolve_device

    config = dataclasses.replace(config, device=resolve_device(config.device))
    check_device_memory(config, running)
    return config


def check_jsonl(target: str | None) -> None:
    """Refuses a --jsonl target that can't be written, without creating or truncating it."""
    if target is None or target == "-":
        return
    path = Path(target)
    folder = path.parent
    if path.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"{folder} is not a directory"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        problem = "permission denied"
    else:
        return
    raise ConfigError(f"cannot write --jsonl {target}: {problem}; give a file path or -")


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
    if args.headless and (args.compare or (args.replay and not args.tensorboard)):
        raise ConfigError("--replay and --compare draw in the dashboard; leave out --headless "
                          "(--headless --replay RUN --tensorboard DIR converts a run)")  # fmt: skip
    check_outputs(args)
    if args.replay and args.jsonl:
        raise ConfigError("--replay trains nothing, so it writes no JSON lines; leave out --jsonl")
    if args.gradcheck and (args.replay or args.compare or args.jsonl):
        raise ConfigError("--gradcheck prints its table and exits; leave out --replay, "
                          "--compare and --jsonl")  # fmt: skip
    if args.jsonl == "-" and not (args.headless or args.serve):  # --serve's refusal is below
        raise ConfigError("--jsonl - (standard output) needs --headless: the dashboard draws "
                          "there; accepted with the dashboard: a file path")  # fmt: skip
    if args.sweep and args.gradcheck:
        raise ConfigError("--gradcheck checks one network per trainer, not a sweep: leave one out")
    if args.sweep and args.save_weights:
        raise ConfigError("--save-weights writes one network per trainer, not a sweep's members; "
                          "leave out one of them")  # fmt: skip
    _check_serve(args)
    config = config_from_args(args)
    if args.gradcheck:  # it runs in float64: refused here where the device has none (MPS)
        config.with_changes(dtype="float64")
    return args, config


def _check_serve(args: argparse.Namespace) -> None:
    """--serve serves the dashboard; --host and --port only go with it."""
    if not args.serve:
        if args.host is not None or args.port is not None:
            raise ConfigError("--host and --port go with --serve")
        return
    if args.headless or args.gradcheck:
        raise ConfigError("--serve serves the dashboard; leave out --headless and --gradcheck")
    if args.jsonl is not None:  # stdout is the page's channel, and each tab would write PATH anew
        raise ConfigError("--jsonl with --serve: each browser tab runs its own app and run log "
                          "(runs/); leave out --jsonl")  # fmt: skip
    args.host = SERVE_HOST if args.host is None else args.host
    args.port = SERVE_PORT if args.port is None else args.port
