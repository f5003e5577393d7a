"""Provides the terminal driver that outlives its terminal.

When the terminal vanishes (tmux's server killed, an SSH connection dropped) every write to it
fails. Textual's LinuxDriver writes from a thread fed by a queue of 30 writes: a failed write ends
that thread, the queue fills, and the next frame blocks the event loop for good, quit and all.
Here a failed write turns the output off instead: what is still written goes nowhere (the
terminal's descriptor is pointed at /dev/null) and the app is told, so it can stop its trainers,
close its files and exit. Its input loop (tui/keyboard.py) hands on the escape key in 10 ms.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any, TextIO

from textual._xterm_parser import XTermParser  # Textual's own parser of terminal input
from textual.app import App
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

from tui.keyboard import read_keys
from tui.messages import TerminalLost


class TerminalOutput:
    """Writes to the terminal's stream until a write fails; from then on, nowhere.

    Args:
        on_lost: called once, in the writing thread, when the first write fails.
    """

    def __init__(self, stream: TextIO, on_lost: Callable[[], object]) -> None:
        self.stream, self.on_lost = stream, on_lost
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                self.stream.write(text)
            except OSError:
                self.lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.stream.flush()
            except OSError:
                self.lose()

    def fileno(self) -> int:
        return self.stream.fileno()

    def lose(self) -> None:
        """Turns the output off; what else writes to the descriptor (an exit message, the
        stream's own last flush) goes to /dev/null instead of failing."""
        self.lost = True
        with contextlib.suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.stream.fileno())
            os.close(null)
        self.on_lost()


class LastingDriver(LinuxDriver):
    """Textual's LinuxDriver, whose output a vanished terminal can't make fail or hang; the app
    gets a TerminalLost message instead."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        _guard_output(self, lambda: app.post_message(TerminalLost()))

    def run_input_thread(self) -> None:
        """Textual's input thread, through tui/keyboard.py's loop: escape in 10 ms, not ~110."""
        parser = XTermParser(self._debug)
        read_keys(self.fileno, parser, self.exit_event.is_set, self.process_message)


def _guard_output(driver: LinuxDriver, on_lost: Callable[[], object]) -> None:
    # Textual has no public hook for the stream its driver writes to: LinuxDriver keeps it in
    # `_file` (sys.__stderr__) and hands it to its writer thread when application mode starts.
    # Where that attribute is missing (another Textual), the driver is left as Textual made it.
    stream = getattr(driver, "_file", None)
    if stream is not None:
        driver._file = TerminalOutput(stream, on_lost)  # type: ignore[assignment]


def lasting(driver: type[Driver]) -> type[Driver]:
    """The driver Textual chose, or LastingDriver in place of its plain LinuxDriver."""
    return LastingDriver if driver is LinuxDriver else driver
