"""Provides the `mlp-tui` flags, shared by the headless run and the app, turned into a RunConfig."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, NoReturn

from engine.config import TRAINERS, ConfigError, RunConfig, check_lr, validate
from engine.data import load_start, sizes_of
from engine.export.outputs import check_outputs
from engine.runspec import toml_argv
from engine.sweep.spec import parse_axis
from engine.workers import WORKER_MODES

SERVE_HOST, SERVE_PORT = "127.0.0.1", 8000  # --serve's defaults: this machine only


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
        return (name or None), check_lr("learning rate", value)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a finite number above 0; accepted: VALUE or TRAINER=VALUE (e.g. 1e-4)"
        ) from None


def _port(text: str) -> int:
    port = _whole(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port; accepted: 1 to 65535")
    return port


def _version() -> str:
    try:
        return version("mlp-tui")
    except PackageNotFoundError:  # imported from a checkout that pip never installed
        return "unknown (not installed: pip install -e .)"


def _key(text: str) -> tuple[str, str]:
    action, _, keys = text.partition("=")
    if not action.strip() or not keys.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ID=KEYS; accepted e.g. toggle-pause=f5 or quit=ctrl+q,q"
        )
    return action.strip(), keys.strip()


def build_parser() -> argparse.ArgumentParser:
    """The flags of `mlp-tui`, grouped for --help; the app takes the same ones to preset its run."""
    parser = _Parser(
        prog="mlp-tui", description="Train one two-layer network four ways, side by side."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    run = parser.add_argument_group("run", "what trains, and how").add_argument
    data = parser.add_argument_group(
        "data", "the batch, the layer sizes and the start"
    ).add_argument
    output = parser.add_argument_group("output", "run logs and JSON lines").add_argument
    display = parser.add_argument_group("display", "the dashboard, or instead of it").add_argument
    web = parser.add_argument_group("web", "the dashboard in a browser").add_argument
    run(
        "--trainers",
        default=",".join(TRAINERS),
        help="comma-separated, from: " + ", ".join(TRAINERS),
    )
    run("--iters", type=_whole, default=1000, help="iterations per trainer (1000)")
    run(
        "--lr",
        type=_lr,
        action="append",
        default=[],
        metavar="VALUE|TRAINER=VALUE",
        help="learning rate for all chosen trainers, or for one (repeatable)",
    )
    run("--optimizer", default="adam", help="torch-optim's: adam, sgd, momentum, rmsprop (adam)")
    run("--init", default=None, help="weights: normal (N(0,1)) or default (nn.Linear's)")
    run("--no-bias", action="store_true", help="no b1, b2 in any trainer")
    run("--same-start", action="store_true", help="identical weights, biases and dtype everywhere")
    run("--dtype", default=None, help="float32 or float64 for every trainer")
    run("--device", default="cpu", help="torch trainers on cpu, cuda, cuda:N or mps (cpu)")
    run("--graphs", default="auto", help="CUDA graphs for the torch trainers: auto, on, off (auto)")
    run(
        "--matmul-precision",
        default="highest",
        help="float32 matmuls: highest (fp32) or high (TF32 on Ampere and later) (highest)",
    )
    run(
        "--workers",
        default="process",
        help="where trainers compute: process (default: a child process per trainer) or thread",
    )
    run(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="train copies of each trainer in one batched model, one per value: lr, init-scale "
        "or seed; VALUES: V1,V2,... or A:B:K (log-spaced), seed=A:B; up to two (a grid)",
    )
    run("--config", type=Path, default=None, metavar="RUN.toml", help="settings from a TOML file")
    data("--n", type=_whole, default=64, help="batch size N (64)")
    data("--d-in", type=_whole, default=1000, help="input size D_in (1000)")
    data("--hidden", type=_whole, default=100, help="hidden size H (100)")
    data("--d-out", type=_whole, default=10, help="output size D_out (10)")
    data("--seed", type=_whole, default=0, help="seed of the data and the weights (0)")
    data("--init-seed", type=_whole, default=None, help="seed of every trainer's start weights")
    data(
        "--init-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="multiply every trainer's start weights w1, w2 by X (1)",
    )
    data(
        "--init-from",
        type=Path,
        default=None,
        metavar="FILE.npz",
        help="x, y, w1, w2 (and b1, b2) to start every trainer from; sizes come from the file",
    )
    output(
        "--log-every",
        type=_whole,
        default=10,
        metavar="K",
        help="a JSONL loss record every K iterations",
    )
    output(
        "--jsonl", default=None, metavar="PATH|-", help="write JSON lines to PATH, or - for stdout"
    )
    output("--log-dir", type=Path, default=Path("runs"), help="where run logs go (runs/)")
    output("--no-log", action="store_true", help="write no run log")
    output(
        "--tensorboard",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write TensorBoard files, DIR/<run>/<trainer>; with --replay, convert that run",
    )
    output(
        "--save-weights",
        type=Path,
        default=None,
        metavar="DIR",
        help="--headless: each trainer's weights at the end as DIR/<trainer>.npz (--init-from's)",
    )
    display(
        "--headless",
        action="store_true",
        help="train without the dashboard; print a table or JSONL",
    )
    display("--replay", type=Path, default=None, metavar="RUN_DIR", help="open a past run's log")
    display(
        "--compare",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="draw a past run's curves faintly beside the live ones",
    )
    display("--gradcheck", action="store_true", help="check the backward passes, print, exit")
    display("--quiet", action="store_true", help="no terminal bell when every trainer has ended")
    display(
        "--key",
        type=_key,
        action="append",
        default=[],
        metavar="ID=KEYS",
        help="other keys for an action, by its binding id: toggle-pause=f5, quit=ctrl+q,q "
        "(repeatable; the ids are in the README)",
    )
    web("--serve", action="store_true", help="serve the dashboard as a web page, one app per tab")
    web("--host", default=None, help=f"address to listen on with --serve ({SERVE_HOST})")
    web("--port", type=_port, default=None, help=f"port to listen on with --serve ({SERVE_PORT})")
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
        device=args.device, init_from=args.init_from, log_every=args.log_every,
        graphs=args.graphs, matmul_precision=args.matmul_precision, **sizes,
        sweep=tuple(parse_axis(text) for text in args.sweep), init_seed=args.init_seed,
        init_scale=args.init_scale,
    )  # fmt: skip
    config = validate(config)
    return with_device(config)


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
