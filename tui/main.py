"""Provides the `mlp-tui` entry point: bad input exits 2, --headless trains here, else the app."""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO

from engine.cli import open_jsonl, parse
from engine.config import ConfigError, RunConfig
from engine.replay import PastRun, load_run
from engine.runlog import RunLog


def terminal_problem() -> str:
    """Why the dashboard can't be drawn here, or "" when it can."""
    if os.environ.get("TERM", "") in ("", "dumb"):
        return "the dashboard needs a terminal that can draw (TERM is dumb or unset)"
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return "the dashboard needs a terminal (stdin or stdout is not a TTY)"
    return ""


def run_gradcheck(config: RunConfig) -> int:
    """Prints the gradient check's table; exit 0 when every check passes, else 1."""
    from engine.gradcheck import check_gradients, format_rows

    rows = check_gradients(config)
    print(format_rows(rows))
    return 0 if all(row.passed for row in rows) else 1


def run_dashboard(args: argparse.Namespace, config: RunConfig, jsonl: IO[str] | None,
                  run_log: RunLog | None, replay: PastRun | None,
                  compare: PastRun | None) -> int:  # fmt: skip
    """Runs the app until the user quits; returns its exit code."""
    from tui.app import MlpApp

    app = MlpApp(config, jsonl, args.workers, run_log=run_log, replay=replay, compare=compare,
                 quiet=args.quiet)  # fmt: skip
    try:
        app.run()
    finally:
        app.runner.stop()  # already done on unmount; here too if the app crashed before it
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    """Runs `mlp-tui` with the given flags and returns its exit code."""
    try:
        args, config = parse(argv)
        replay = load_run(args.replay) if args.replay else None
        compare = load_run(args.compare) if args.compare else None
        if replay is not None:  # looking at a past run trains nothing and logs nothing
            config, args.no_log = replay.config, True
        jsonl = open_jsonl(args.jsonl)
        run_log = None if args.no_log or args.gradcheck else RunLog(config, args.log_dir)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    problem = "" if args.headless or args.gradcheck else terminal_problem()
    if problem:
        print(f"mlp-tui: {problem}; use --headless for a table, or --headless --jsonl - for JSON "
              "lines", file=sys.stderr)  # fmt: skip
        return 2
    try:
        if args.gradcheck:
            return run_gradcheck(config)
        if args.headless:
            from engine.headless import run_headless

            return run_headless(config, jsonl, args.workers, run_log)
        return run_dashboard(args, config, jsonl, run_log, replay, compare)
    finally:
        if run_log is not None:
            run_log.close()


if __name__ == "__main__":
    sys.exit(main())
