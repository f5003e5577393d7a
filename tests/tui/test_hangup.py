"""A terminal that vanishes under the app (tmux's server killed, an SSH connection dropped).

`python -m tui.main` runs on a pseudo-terminal, as a user runs it; the test then closes the
terminal's master side, as tmux or sshd does when it goes. The app must stop its trainers, keep
their `stopped` records in the run log, and exit, leaving no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.checkout import checkout_env
from tests.tui.browser import alive, process_tree, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads processes from /proc")

TRAINERS = ("numpy", "torch-manual")
FLAGS = ["--n", "8", "--d-in", "8", "--hidden", "8", "--d-out", "2", "--iters", "1000000000",
         "--trainers", ",".join(TRAINERS), "--workers", "process"]  # fmt: skip
Starter = Callable[[list[str], dict[str, str]], tuple[int, int]]  # argv, env -> pid, master


def leading_its_session(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    """The app leads the terminal's session, as in a tmux pane or under `ssh -t`: the hangup
    sends it SIGHUP. Returns its pid and the terminal's master side."""
    pid, master = pty.fork()
    if pid == 0:  # the child only becomes the app
        os.execve(argv[0], argv, env)
    return pid, master


def beside_its_session(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    """The app draws on a terminal that is not its session's (a shell kept the hangup to
    itself): no signal comes, only its writes fail. Returns its pid and the master side."""
    master, terminal = os.openpty()
    onto = [(os.POSIX_SPAWN_DUP2, terminal, fd) for fd in (0, 1, 2)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=onto, setsid=True)
    os.close(terminal)
    return pid, master


def exit_code(pid: int) -> int | None:
    """The process's exit code once it has ended, else None."""
    ended, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if ended else None


def records(log_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in log_dir.glob("*/losses.jsonl")
            for line in path.read_text().splitlines()]  # fmt: skip


@contextlib.contextmanager
def app_on_a_terminal(start: Starter, log_dir: Path) -> Iterator[tuple[int, int]]:
    """`python -m tui.main` on a new pseudo-terminal, started by `start`; yields its pid and the
    terminal's master side. Whatever is left of the app at the end, pass or fail, is killed."""
    argv = [sys.executable, "-m", "tui.main", *FLAGS, "--log-dir", str(log_dir)]
    env = {key: value for key, value in checkout_env(TERM="xterm-256color").items()
           if not key.startswith("TEXTUAL")}  # fmt: skip
    pid, master = start(argv, env)
    try:
        yield pid, master
    finally:
        with contextlib.suppress(OSError):  # its process group: itself and what it started
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def wait_for_training(pid: int, master: int, log_dir: Path) -> None:
    """Waits until every trainer has logged losses, reading the screen meanwhile so that the app
    never waits on its terminal."""

    def training() -> bool:
        while select.select([master], [], [], 0.05)[0] and os.read(master, 1 << 16):
            pass
        assert exit_code(pid) is None, "the app ended before its terminal did"
        logged = {record["trainer"] for record in records(log_dir) if "iter" in record}
        return logged == set(TRAINERS)

    wait_for("every trainer to log losses", training)


@pytest.mark.parametrize(
    ("start", "shell_passes_it_on"),
    [
        pytest.param(leading_its_session, False, id="tmux-pane-or-ssh-t"),
        # an interactive shell hangs up its jobs: the app and its trainers' processes get SIGHUP
        pytest.param(beside_its_session, True, id="job-of-a-login-shell"),
        pytest.param(beside_its_session, False, id="no-signal-at-all"),
    ],
)
def test_a_vanished_terminal_stops_the_trainers_keeps_the_log_and_ends_the_app(
    tmp_path: Path, start: Starter, shell_passes_it_on: bool
) -> None:
    with app_on_a_terminal(start, tmp_path) as (pid, master):
        try:
            wait_for_training(pid, master, tmp_path)
            processes = process_tree(pid)  # its trainers' processes, and multiprocessing's
            assert len(processes) >= len(TRAINERS), processes
        finally:
            os.close(master)  # the terminal is gone
        if shell_passes_it_on:
            os.killpg(pid, signal.SIGHUP)
        assert wait_for("the app to exit", lambda: exit_code(pid)) == 0  # type: ignore[arg-type]
        wait_for("every process it started to end", lambda: not alive(processes))
    ends = {r["trainer"]: r["event"] for r in records(tmp_path) if "event" in r}
    assert ends == dict.fromkeys(TRAINERS, "stopped")  # each trainer's last record
