"""Provides the `mlp-tui` entry point: bad input exits 2, --headless trains here, else the app."""

from __future__ import annotations

import os
import sys

from engine.cli import open_jsonl, parse
from engine.config import ConfigError
from engine.runlog import RunLog


def terminal_problem() -> str:
    """Why the dashboard can't be drawn here, or "" when it can."""
    if os.environ.get("TERM", "") in ("", "dumb"):
        return "the dashboard needs a terminal that can draw (TERM is dumb or unset)"
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return "the dashboard needs a terminal (stdin or stdout is not a TTY)"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Runs `mlp-tui` with the given flags and returns its exit code."""
    try:
        args, config = parse(argv)
        jsonl = open_jsonl(args.jsonl)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    problem = "" if args.headless else terminal_problem()
    if problem:
        print(f"mlp-tui: {problem}; use --headless for a table, or --headless --jsonl - for JSON "
              "lines", file=sys.stderr)  # fmt: skip
        return 2
    try:
        run_log = None if args.no_log else RunLog(config, args.log_dir)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    try:
        if args.headless:
            from engine.headless import run_headless

            return run_headless(config, jsonl, args.workers, run_log)
        from tui.app import run_app

        return run_app(config, jsonl, args.workers, run_log)
    finally:
        if run_log is not None:
            run_log.close()


if __name__ == "__main__":
    sys.exit(main())
