"""Provides the `mlp-tui` entry point: bad input exits 2, --headless trains here, else the app.

--serve serves the app as a web page instead (tui/serve.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO

from engine.cli import check_jsonl, open_jsonl, parse
from engine.config import ConfigError, RunConfig
from engine.export.tensorboard import TensorBoardWriter, convert_replay, start_writer
from engine.replay import PastRun, load_run
from engine.runlog import RunLog, check_log_dir
from tui.serve import check_serve, serve


def terminal_problem() -> str:
    """Why the dashboard can't be drawn here, or "" when it can."""
    if os.environ.get("TEXTUAL_DRIVER"):  # drawn through that driver: --serve's page, say
        return ""
    if os.environ.get("TERM", "") in ("", "dumb"):
        return "the dashboard needs a terminal that can draw (TERM is dumb or unset)"
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return "the dashboard needs a terminal (stdin or stdout is not a TTY)"
    return ""


def run_gradcheck(config: RunConfig) -> int:
    """Prints the gradient check's table; exit 0 when every check passes, 1 when one fails.

    Settings the check can't run with (float64 arrays too big for memory) exit 2; a fault
    inside it (a device that fails) exits 1; either with one line on stderr.
    """
    from engine.gradcheck import check_gradients
    from engine.gradrows import format_rows
    from engine.loop import describe

    try:
        rows = check_gradients(config)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # whatever the device raises: one line
        print(f"mlp-tui: the gradient check failed: {describe(error)}".splitlines()[0],
              file=sys.stderr)  # fmt: skip
        return 1
    print(format_rows(rows))
    return 0 if all(row.passed for row in rows) else 1


def run_dashboard(args: argparse.Namespace, config: RunConfig, jsonl: IO[str] | None,
                  run_log: RunLog | None, replay: PastRun | None,
                  compare: PastRun | None,
                  tensorboard: TensorBoardWriter | None) -> int:  # fmt: skip
    """Runs the app until the user quits; returns its exit code."""
    from tui.app import MlpApp

    convert_to = args.tensorboard if replay else None
    app = MlpApp(config, jsonl, args.workers, run_log=run_log, replay=replay, compare=compare,
                 tensorboard=tensorboard, convert_to=convert_to, quiet=args.quiet,
                 keymap=args.keymap)  # fmt: skip
    try:
        app.run()
    finally:
        app.runner.stop()  # already done on unmount; here too if the app crashed before it
    return app.return_code or 0


def checked_input(
    argv: list[str] | None,
) -> tuple[argparse.Namespace, RunConfig, PastRun | None, PastRun | None]:
    """Every flag and file checked, nothing created yet (raises ConfigError on bad input)."""
    args, config = parse(argv)
    replay = load_run(args.replay) if args.replay else None
    compare = load_run(args.compare) if args.compare else None
    if replay is not None:  # looking at a past run trains nothing and logs nothing
        config, args.no_log = replay.config, True
    if not (args.no_log or args.gradcheck):
        check_log_dir(args.log_dir)
    check_jsonl(args.jsonl)
    args.keymap = {}
    if args.key:  # only the dashboard has keys; tui.commands imports textual
        from tui.commands import keymap

        args.keymap = keymap(args.key)
    return args, config, replay, compare


def main(argv: list[str] | None = None) -> int:
    """Runs `mlp-tui` with the given flags and returns its exit code.

    Everything is checked before anything is written: the run folder and the --jsonl file are
    made only once the run starts.
    """
    try:
        args, config, replay, compare = checked_input(argv)
        loopback = check_serve(args.host, args.port) if args.serve else True
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    problem = "" if args.headless or args.gradcheck or args.serve else terminal_problem()
    if problem:
        print(f"mlp-tui: {problem}; use --headless for a table, or --headless --jsonl - for JSON "
              "lines", file=sys.stderr)  # fmt: skip
        return 2
    if args.serve:
        return serve(sys.argv[1:] if argv is None else argv, args.host, args.port, loopback)
    if args.gradcheck:
        return run_gradcheck(config)
    if args.headless and replay is not None:
        return convert_replay(replay, args.tensorboard)
    try:
        run_log = None if args.no_log else RunLog(config, args.log_dir)
        jsonl = open_jsonl(args.jsonl)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    return run(args, config, jsonl, run_log, replay, compare)


def run(args: argparse.Namespace, config: RunConfig, jsonl: IO[str] | None,
        run_log: RunLog | None, replay: PastRun | None,
        compare: PastRun | None) -> int:  # fmt: skip
    """Trains headless or in the dashboard, with the run's files open; closes them after."""
    tensorboard = None
    try:
        if replay is None:
            log_path = None if run_log is None else run_log.path
            tensorboard = start_writer(args.tensorboard, config, log_path)
        if args.headless:
            from engine.headless import run_headless

            return run_headless(
                config, jsonl, args.workers, run_log, tensorboard, args.save_weights
            )
        return run_dashboard(args, config, jsonl, run_log, replay, compare, tensorboard)
    finally:
        if run_log is not None:
            run_log.close()
        if jsonl is not None and jsonl is not sys.stdout:
            jsonl.close()
        if tensorboard is not None and (problem := tensorboard.close()):
            print(f"mlp-tui: {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
