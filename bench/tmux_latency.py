"""Provides key-to-screen latency as a person sees it: mlp-tui in tmux, keys sent, screen polled.

Run: python -m bench.tmux_latency [--repeats 10] [--code DIR ...] [--paused]  (needs tmux; all
four train at the seed's sizes, or with --paused hold still from the start). Each --code is a
checkout whose app is measured, round by round in turn, so two versions are compared under the
same load; by default the current directory.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SESSION = f"mlp-tui-latency-{os.getpid()}"  # other users of this tmux server may run it too
APP = [sys.executable, "-m", "tui.main", "--iters", "10000000"]  # the seed's sizes, for long
Shown = Callable[[str], bool]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def wait_for(condition: Shown, timeout: float = 30.0) -> float:
    """Seconds until the screen satisfies the condition (polled every 5 ms)."""
    start = time.perf_counter()
    while not condition(screen()):
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the screen never showed it")
        time.sleep(0.005)  # capture-pane itself costs CPU; poll gently
    return time.perf_counter() - start


def press(key: str, condition: Shown) -> float:
    start = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    wait_for(condition)
    return 1000 * (time.perf_counter() - start)


def dialog(title: str) -> tuple[Shown, Shown]:
    return (lambda text: title in text), (lambda text: title not in text)


DIALOGS = {  # key: the title its dialog shows
    "c": "Controls —",
    "?": "tab / shift+tab",
    "d": "Device for the torch trainers",
}


def one_round(times: dict[str, list[float]], paused: bool = False) -> None:
    """Each key once: space (pause, resume) unless the trainers stay paused, then each dialog
    opened and closed with escape."""
    if not paused:
        times["space: pausing shown"].append(press("Space", lambda t: t.count("paus") == 4))
        wait_for(lambda t: t.count("paused") == 4)
        times["space: running shown"].append(press("Space", lambda t: t.count("running") == 4))
    for key, title in DIALOGS.items():
        shown, gone = dialog(title)
        times[f"{key}: dialog shown"].append(press(key, shown))
        times["escape: dialog gone"].append(press("Escape", gone))


def launch(code: Path, log_dir: str) -> None:
    """Starts mlp-tui of the checkout `code` in a tmux session of 120x36, all four training."""
    command = shlex.join([*APP, "--log-dir", log_dir])
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "36", "-c", str(code), command)


def start_app(code: Path, log_dir: str, renice: int | None = None) -> None:
    launch(code, log_dir)
    wait_for(lambda text: text.count("running") == 4, timeout=300)  # minutes on a busy machine
    if renice is not None:  # the app's main thread only: the trainers keep their nice 15
        app = tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip()
        subprocess.run(["renice", "-n", str(renice), "-p", app], capture_output=True, check=True)
    time.sleep(3)  # past start-up, when the plots first fill


def stop_app() -> None:
    tmux("send-keys", "-t", SESSION, "q")
    time.sleep(2)
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below pid (the fork server and the trainers under the app)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def cpu_shares(seconds: float) -> str:
    """Cores used by the app, the tmux server and the trainers while nothing is pressed, and
    what the app writes to the terminal meanwhile (over SSH, what it costs the link)."""
    app = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}"))
    groups = {"app": [app], "tmux server": [int(tmux("display-message", "-p", "#{pid}"))],
              "trainers": descendants(app)}  # fmt: skip
    load = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile() as copy:  # tmux copies what the app writes to the pane
        before = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}
        tmux("pipe-pane", "-t", SESSION, f"cat > {shlex.quote(copy.name)}")
        time.sleep(seconds)
        tmux("pipe-pane", "-t", SESSION)  # stops copying
        used = {name: sum(cpu_seconds(pid) for pid in pids) - before[name]
                for name, pids in groups.items()}  # fmt: skip
        written = Path(copy.name).stat().st_size
    shares = ", ".join(f"{name} {value / seconds:.3f}" for name, value in used.items())
    return (f"cores used over {seconds:g}s: {shares}; written to the terminal "
            f"{written / seconds / 1000:.1f} kB/s (load {load:.1f})")  # fmt: skip


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10, help="rounds per app start")
    parser.add_argument("--starts", type=int, default=1, help="app starts per --code")
    parser.add_argument("--code", type=Path, action="append", help="a checkout to measure")
    parser.add_argument("--cpu-seconds", type=float, default=0, help="also measure CPU shares")
    parser.add_argument("--paused", action="store_true", help="pause the trainers first")
    parser.add_argument("--renice", type=int, help="the app's main thread's nice level (root to "
                        "go below 0): other jobs' load on a shared machine set aside")  # fmt: skip
    args = parser.parse_args()
    codes = [code.resolve() for code in args.code or [Path.cwd()]]
    keys = ["space: pausing shown", "space: running shown",
            *(f"{key}: dialog shown" for key in DIALOGS), "escape: dialog gone"]  # fmt: skip
    times = {code: {key: [] for key in keys} for code in codes}  # type: dict[Path, dict[str, list[float]]]
    with tempfile.TemporaryDirectory() as log_dir:
        for _ in range(args.starts):
            for code in codes:  # interleaved: one start of each checkout in turn
                try:
                    start_app(code, log_dir, args.renice)
                    if args.cpu_seconds:
                        print(code, cpu_shares(args.cpu_seconds), flush=True)
                    if args.paused:
                        press("Space", lambda t: t.count("paused") == 4)
                    for _ in range(args.repeats):
                        one_round(times[code], args.paused)
                finally:
                    stop_app()
    for code in codes:
        print(f"key press to screen in tmux, 120x36, all four training (ms), {code}:")
        for key, values in times[code].items():
            if not values:  # space, with --paused
                continue
            print(f"  {key:<22} median {statistics.median(values):6.1f}  "
                  f"p95 {p95(values):6.1f}  max {max(values):6.1f}  (n={len(values)})")  # fmt: skip


if __name__ == "__main__":
    main()
