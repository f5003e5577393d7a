"""Provides `mlp-tui --serve` in a child process and headless Chromium on its page (selenium).

Selenium drives Debian's chromium through its chromedriver (both from apt, so nothing is
downloaded); the text is read from the page's own terminal (xterm.js, the buffer it draws from).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tests.checkout import ROOT

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
WAIT_SECONDS = 90.0  # only reached when something is broken
# As root Chromium needs --no-sandbox; the rest keep it off the network, which is closed here.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
]
# textual.js keeps its xterm.js Terminal in a local; the assignment `this.terminal = new
# Terminal(...)` passes through this setter, which keeps the terminal where a test can read it.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    if (value && value.buffer && value.buffer.active) window.mlpTerminal = value;
  },
});
"""
SCREEN_TEXT = """
const terminal = window.mlpTerminal;
if (!terminal || !document.body.classList.contains("-first-byte")) return "";
const buffer = terminal.buffer.active, lines = [];
for (let row = 0; row < terminal.rows; row++) {
  const line = buffer.getLine(buffer.viewportY + row);
  lines.push(line ? line.translateToString(true) : "");
}
return lines.join("\\n");
"""
# The browser decodes the screenshot it took: its size, its colours, and the share of pixels
# unlike the most common one (the background).
PIXELS = """
const [png, done] = arguments;
const image = new Image();
image.onload = () => {
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, image.width, image.height).data, counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const colour = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(colour, (counts.get(colour) || 0) + 1);
  }
  const pixels = data.length / 4, background = Math.max(...counts.values());
  done({width: image.width, height: image.height, colours: counts.size,
        unlike_background: (pixels - background) / pixels});
};
image.src = "data:image/png;base64," + png;
"""
T = TypeVar("T")
SEEN: dict[int, str] = {}  # every process process_tree() found, by pid, with its command line


def missing() -> str:
    """What this machine lacks for a browser test, or "" when it has it all."""
    if not (CHROMIUM and CHROMEDRIVER):
        return "no chromium and chromedriver (apt-get install chromium chromium-driver)"
    for module in ("selenium", "textual_serve"):
        with contextlib.suppress(ImportError):
            __import__(module)
            continue
        return f"no {module} (pip install -e '.[dev]')"
    return ""


def wait_for(what: str, probe: Callable[[], T | None]) -> T:
    """Polls until probe returns something (fails after WAIT_SECONDS, saying what it waited for)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (value := probe()) is None or value is False:
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS:.0f} s for {what}"
        time.sleep(0.1)
    return value


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(*flags: str, cwd: Path = ROOT) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`mlp-tui --serve` on a free port, in a session of its own (as a terminal would start it).

    Yields the process and the URL it printed; kills what is left of its group at the end.
    """
    port = free_port()
    command = [sys.executable, "-m", "tui.main", "--serve", "--port", str(port), *flags]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)  # fmt: skip
    try:
        assert process.stdout is not None
        first = wait_for("the server's first line", process.stdout.readline)
        assert f"http://127.0.0.1:{port}" in first, first
        yield process, f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pid in alive(SEEN):  # what a failed test leaves: apps lead process groups of their own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium driven by selenium."""
    problem = missing()
    assert not problem, problem  # the test skips before this, except in CI (which has them)
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="mlp-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()


def open_page(driver: Any, url: str) -> None:
    """Loads url in the current tab, its terminal kept readable."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": KEEP_TERMINAL})
    driver.get(url)


def screen_text(driver: Any) -> str:
    """The page's terminal as text, one line a row ("" before the app's first frame)."""
    return str(driver.execute_script(SCREEN_TEXT))


def wait_for_text(driver: Any, *words: str) -> str:
    """Waits until the page's terminal shows every word; returns its text."""

    def showing() -> str | None:
        text = screen_text(driver)
        return text if all(word in text for word in words) else None

    return wait_for(f"{', '.join(words)} on the page", showing)


def screenshot_pixels(driver: Any, png: bytes) -> dict[str, float]:
    """Size, number of colours and share of non-background pixels of a PNG, as Chromium reads it."""
    import base64

    return dict(driver.execute_async_script(PIXELS, base64.b64encode(png).decode("ascii")))


def process_tree(root: int) -> dict[int, str]:
    """Every process descended from root (Linux /proc), by pid, with its command line."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                with contextlib.suppress(OSError):
                    tree[pid] = command_of(pid)
                frontier.append(pid)
    SEEN.update(tree)
    return tree


def alive(pids: dict[int, str]) -> dict[int, str]:
    """Those of pids still running the same command (zombies, already ended, don't count)."""
    living = {}
    for pid, command in pids.items():
        with contextlib.suppress(OSError):
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            if state != "Z" and command_of(pid) == command:
                living[pid] = command
    return living


def command_of(pid: int) -> str:
    """A process's command line, its arguments joined by spaces."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
