"""Provides the `mlp-tui` entry point: bad input exits 2, --headless trains here, else the app."""

from __future__ import annotations

import sys

from engine.cli import open_jsonl, parse
from engine.config import ConfigError


def main(argv: list[str] | None = None) -> int:
    """Runs `mlp-tui` with the given flags and returns its exit code."""
    try:
        args, config = parse(argv)
        jsonl = open_jsonl(args.jsonl)
    except ConfigError as error:
        print(f"mlp-tui: error: {error}", file=sys.stderr)
        return 2
    if args.headless:
        from engine.headless import run_headless

        return run_headless(config, jsonl, args.workers)
    from tui.app import run_app

    return run_app(config, jsonl, args.workers)


if __name__ == "__main__":
    sys.exit(main())
