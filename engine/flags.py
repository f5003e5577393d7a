"""Provides the `mlp-tui` flags: the parser, its groups for --help, and each flag's own type check.

engine/cli.py turns what it parses into a RunConfig, with the checks that span several flags.
"""

from __future__ import annotations

import argparse
import contextlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from engine.config import TRAINERS, ConfigError, check_lr

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
        from engine.runspec import tomllib

        pyproject = Path(__file__).parents[1] / "pyproject.toml"
        with contextlib.suppress(OSError, ValueError, KeyError):  # the checkout's own says
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
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
