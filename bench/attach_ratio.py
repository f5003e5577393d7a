"""Provides what the dashboard costs the trainers, as a person runs it: each trainer's it/s with
mlp-tui in tmux (120x36) against `mlp-tui --headless`, rounds interleaved.

Run: python -m bench.attach_ratio [--rounds 3] [--seconds 20]  (needs tmux)

Both sides train the seed's sizes for the same time and write their run log; a trainer's it/s
is 10 over the median gap between its logged iterations (one record every 10) once 3 s have
passed, so start-up and a slow first batch don't count. The ratio is attached / headless; the
four trainers share the cores, so the figure is the mean of the four ratios.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.tmux_latency import APP, launch, stop_app, wait_for
from engine.config import TRAINERS

SETTLE_SECONDS = 3.0  # records before this are start-up


def speeds(log_dir: Path) -> dict[str, float]:
    """Each trainer's it/s in the one run under log_dir, by the median gap between records."""
    (run,) = log_dir.iterdir()
    times: dict[str, list[float]] = {name: [] for name in TRAINERS}
    for line in (run / "losses.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "loss" in record and record["t"] > SETTLE_SECONDS:
            times[record["trainer"]].append(record["t"])
    return {name: 10 / statistics.median(b - a for a, b in itertools.pairwise(t))
            for name, t in times.items()}  # fmt: skip


def attached(log_dir: Path, seconds: float) -> dict[str, float]:
    launch(Path.cwd(), str(log_dir))
    wait_for(lambda text: text.count("running") == 4, timeout=300)
    time.sleep(seconds)
    stop_app()
    return speeds(log_dir)


def headless(log_dir: Path, seconds: float) -> dict[str, float]:
    child = subprocess.Popen([*APP, "--headless", "--quiet", "--log-dir", str(log_dir)],
                             stdout=subprocess.DEVNULL)  # fmt: skip
    time.sleep(seconds + 2)  # about as long as the app takes to show four "running"
    child.send_signal(signal.SIGINT)
    child.wait(timeout=60)
    return speeds(log_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="training time per side")
    args = parser.parse_args()
    ratios: dict[str, list[float]] = {name: [] for name in TRAINERS}
    for number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as app_dir, tempfile.TemporaryDirectory() as bare:
            load = os.getloadavg()[0]
            sides = [lambda: attached(Path(app_dir), args.seconds),
                     lambda: headless(Path(bare), args.seconds)]  # fmt: skip
            first, second = sides if number % 2 else sides[::-1]  # each first every other round
            done = [first(), second()]
            app, alone = done if number % 2 else done[::-1]
        for name in TRAINERS:
            ratios[name].append(app[name] / alone[name])
        line = "  ".join(f"{name} {app[name]:.0f}/{alone[name]:.0f}" for name in TRAINERS)
        print(f"round {number} (load {load:.1f}) it/s attached/headless: {line}", flush=True)
    print("ratio attached / headless, median over rounds:")
    for name in TRAINERS:
        print(f"  {name:<15} {statistics.median(ratios[name]):.3f}  rounds "
              + " ".join(f"{r:.3f}" for r in ratios[name]))  # fmt: skip
    # four trainers share the cores: what one gains another may lose, so the mean of the four
    # ratios (the trainers' work in all, each counted by its own headless speed) is the figure
    every = [statistics.mean(ratios[name][i] for name in TRAINERS) for i in range(args.rounds)]
    print("mean of the four, per round: " + " ".join(f"{r:.3f}" for r in every)
          + f"; median over rounds {statistics.median(every):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
