"""Provides the terminal's input loop, which hands on a lone escape key in ESCDELAY (10 ms).

A terminal sends the escape key as the byte ESC, and other keys (arrows, F-keys, alt+x) as
sequences that begin with it; a reader can only tell them apart by waiting a little for more.
Textual's parser waits ESCDELAY (100 ms unless set) and its input thread looks again only every
0.1 s, so escape reached the app 100-125 ms after it was sent. Here a chunk of input that ends
in ESC keeps that byte back: if more input comes within the delay, the two go to the parser
together (an arrow key is one sequence, as before); if nothing comes, the escape key is handed
on. A terminal writes each key's sequence at once and SSH sends it in one packet, so 10 ms
holds (tmux users set its escape-time to 10 ms for editors); on a link that splits them, set
ESCDELAY=100 (milliseconds), as for Textual itself. Inside a bracketed paste nothing is held:
an ESC there is text, however long the rest of the paste takes to come.
"""

from __future__ import annotations

import os
import selectors
import time
from codecs import getincrementaldecoder
from collections.abc import Callable, Iterable
from typing import Protocol

from textual import events
from textual.message import Message

ESC = "\x1b"
PASTE_START, PASTE_END = ESC + "[200~", ESC + "[201~"  # bracketed paste
POLL_SECONDS = 0.1  # how often the loop looks whether the app is ending
READ_BYTES = 4096
ESCDELAY_MS = 10  # unless ESCDELAY says otherwise


def escape_delay() -> float:
    """Seconds to wait after a lone ESC for the rest of a sequence: ESCDELAY ms, 10 by default."""
    try:
        milliseconds = int(os.environ.get("ESCDELAY", ESCDELAY_MS))
    except ValueError:
        milliseconds = ESCDELAY_MS
    return max(1, milliseconds) / 1000


class HeldEscape:
    """Splits input into what the parser gets now and a trailing ESC held back for the delay."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.since: float | None = None  # when the held ESC arrived
        self.pasting = False  # inside a bracketed paste: ESC is text there
        self.tail = ""  # the end of what came before, for a paste's mark split between reads

    def take(self, data: str) -> str:
        """What to feed the parser: any held ESC before data, less a new trailing ESC."""
        if self.since is not None:
            data, self.since = ESC + data, None
        seen = self.tail + data
        start, end = seen.rfind(PASTE_START), seen.rfind(PASTE_END)
        if start != end:  # a mark came: the later one says where the paste stands
            self.pasting = start > end
        if data.endswith(ESC) and not self.pasting:
            data, self.since = data[:-1], time.monotonic()
        self.tail = (self.tail + data)[1 - len(PASTE_END) :]
        return data

    def wait(self) -> float:
        """How long the next select may wait."""
        if self.since is None:
            return POLL_SECONDS
        return max(0.0, self.since + self.delay - time.monotonic())

    def expired(self) -> bool:
        """True (once) when the held ESC had nothing after it: it was the escape key."""
        if self.since is None or time.monotonic() < self.since + self.delay:
            return False
        self.since = None
        return True


class Parser(Protocol):
    """Textual's XTermParser: text in, events out; tick() ends what waited too long."""

    def feed(self, data: str) -> Iterable[Message]: ...

    def tick(self) -> Iterable[Message]: ...


def read_keys(
    fileno: int, parser: Parser, done: Callable[[], bool], handle: Callable[[Message], None]
) -> None:
    """Reads the terminal until done(), handing each event the parser makes to handle()."""
    decode = getincrementaldecoder("utf-8")(errors="replace").decode  # a bad byte ends nothing
    held = HeldEscape(escape_delay())
    with selectors.SelectSelector() as selector:  # as Textual: macOS kqueue may not watch a tty
        selector.register(fileno, selectors.EVENT_READ)
        while not done():
            if selector.select(held.wait()):
                try:
                    raw = os.read(fileno, READ_BYTES)
                except (BlockingIOError, InterruptedError):  # another reader was first: again
                    time.sleep(POLL_SECONDS / 10)
                    continue
                except OSError:  # EIO: the terminal is gone (the output side tells the app)
                    raw = b""
                if not raw:  # nothing more will come: end, so that the app's exit never waits
                    return  # on this thread (it ends without done() when the hangup cut it short)
                text = held.take(decode(raw))
                for event in parser.feed(text) if text else ():  # feed("") means end of input
                    handle(event)
            elif held.expired():
                handle(events.Key("escape", ESC))
            for event in parser.tick():
                handle(event)
