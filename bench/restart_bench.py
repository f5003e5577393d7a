"""Provides how long a trainer takes to show its first losses: started alone, then restarted.

Run: python -m bench.restart_bench [--restarts 3] [--app-starts 3]

Each trainer on its own, seed's sizes, in a child process as the app runs it (--workers
process): the seconds from Runner.start to its first LossPoints, for the first start (the fork
server starts too) and for each restart after (the fork server is warm: what `R`, `[`, `]` and
Apply cost). Then `mlp-tui` in tmux (120x36): the seconds from its launch until every panel
says running with iterations done.
"""

from __future__ import annotations

import argparse
import queue
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.tmux_latency import launch, stop_app, wait_for
from engine.config import TRAINERS, RunConfig, validate
from engine.events import Event, LossPoints
from engine.runner import Runner


def first_points(events: queue.Queue[Event], name: str, run: int) -> None:
    """Waits for the given start's first losses (earlier starts' stragglers are skipped)."""
    while True:
        event = events.get(timeout=120)
        if isinstance(event, LossPoints) and event.trainer == name and event.run == run:
            return


def measure(name: str, restarts: int) -> list[float]:
    """Seconds to the first losses: the first start, then each restart."""
    events: queue.Queue[Event] = queue.Queue()
    runner = Runner(validate(RunConfig(trainers=(name,), iters=10**7)), events.put, "process")
    took = []
    try:
        for run in range(1, restarts + 2):
            started = time.perf_counter()
            runner.start([name])
            first_points(events, name, run)
            took.append(time.perf_counter() - started)
    finally:
        runner.close()
    return took


def app_start() -> float:
    """Seconds from launching mlp-tui in tmux to all four panels running with iterations."""
    with tempfile.TemporaryDirectory() as log_dir:
        started = time.perf_counter()
        launch(Path.cwd(), log_dir)

        def going(text: str) -> bool:
            done = [int(count) for count in re.findall(r"running (\d+)/", text)]
            return len(done) == len(TRAINERS) and min(done) > 0

        wait_for(going, timeout=300)
        took = time.perf_counter() - started
        stop_app()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--app-starts", type=int, default=3, help="0: no tmux part")
    args = parser.parse_args()
    print("seconds to the first losses, one trainer alone (seed's sizes, a child process):")
    for name in TRAINERS:
        first, *again = measure(name, args.restarts)
        print(
            f"  {name:<15} first start {first:5.2f}   restart median "
            f"{statistics.median(again):5.2f} (" + " ".join(f"{t:.2f}" for t in again) + ")"
        )
    if args.app_starts:
        starts = [app_start() for _ in range(args.app_starts)]
        print("mlp-tui in tmux, launch to all four running: "
              + " ".join(f"{t:.2f}" for t in starts) + " s")  # fmt: skip


if __name__ == "__main__":
    main()
