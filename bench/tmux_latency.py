"""Provides key-to-screen latency as a person sees it: mlp-tui in tmux, keys sent, screen polled.

Run: python -m bench.tmux_latency [--repeats 10]  (needs tmux; all four train at the seed's sizes)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable

SESSION = "mlp-tui-latency"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def wait_for(condition: Callable[[str], bool], timeout: float = 30.0) -> float:
    """Seconds until the screen satisfies the condition (polled every millisecond)."""
    start = time.perf_counter()
    while not condition(screen()):
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the screen never showed it")
        time.sleep(0.005)  # capture-pane itself costs CPU; poll gently
    return time.perf_counter() - start


def press(key: str, condition: Callable[[str], bool]) -> float:
    start = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    wait_for(condition)
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    command = "mlp-tui --iters 10000000"
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "36", command)
    try:
        wait_for(lambda text: text.count("running") == 4)
        times: dict[str, list[float]] = {
            "space: pausing shown": [],
            "c: controls shown": [],
        }
        for _ in range(args.repeats):
            times["space: pausing shown"].append(press("Space", lambda t: t.count("paus") == 4))
            wait_for(lambda t: t.count("paused") == 4)
            press("Space", lambda t: t.count("running") == 4)
            times["c: controls shown"].append(press("c", lambda t: "Controls —" in t))
            press("Escape", lambda t: "Controls —" not in t)
        print("key press to screen in tmux, 120x36, all four training (ms):")
        for key, values in times.items():
            print(f"  {key:<22} median {statistics.median(values):6.1f}  max {max(values):6.1f}")
    finally:
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(2)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


if __name__ == "__main__":
    main()
