"""The input loop: a lone escape is handed on after ESCDELAY (10 ms by default) instead of
Textual's 100 ms and next poll; a sequence is still one key, however it arrives."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.message import Message

from tui.keyboard import ESC, HeldEscape, escape_delay, read_keys


def test_a_trailing_escape_is_held_and_joins_what_follows() -> None:
    held = HeldEscape(delay=3600.0)
    assert held.take("a" + ESC) == "a"  # the ESC waits for the rest of a sequence
    assert held.wait() > 1 and not held.expired()
    assert held.take("[A") == ESC + "[A"  # an arrow key split in two arrives whole
    assert held.take("q") == "q" and held.wait() == pytest.approx(0.1)


def test_nothing_is_held_inside_a_paste() -> None:
    held = HeldEscape(delay=3600.0)
    assert held.take("\x1b[200~hello" + ESC) == "\x1b[200~hello" + ESC  # text, not a key
    assert held.take("[201~") == "[201~" and not held.pasting  # the paste's end, split
    assert held.take("q" + ESC) == "q"  # after it, a trailing ESC waits again


def test_a_held_escape_with_nothing_after_it_is_the_escape_key() -> None:
    held = HeldEscape(delay=0.0)
    assert held.take(ESC) == ""
    assert held.expired() and not held.expired()  # once


@pytest.mark.parametrize(("value", "seconds"), [(None, 0.010), ("100", 0.1), ("x", 0.010)])
def test_escdelay_sets_the_wait(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    if value is None:
        monkeypatch.delenv("ESCDELAY", raising=False)
    else:
        monkeypatch.setenv("ESCDELAY", value)
    assert escape_delay() == pytest.approx(seconds)


Terminal = tuple[int, int, threading.Event]


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """A pipe standing in for the terminal (what the loop reads, what the test writes) and an
    event that ends the loop."""
    read_end, write_end = os.pipe()
    yield read_end, write_end, threading.Event()
    os.close(write_end)
    os.close(read_end)


def keys_read(terminal: Terminal, *chunks: bytes, until: int) -> list[str]:
    """Writes the chunks to the loop, 30 ms apart, until it has handed on `until` events (a
    key's name, or "paste:<text>")."""
    read_end, write_end, ended = terminal
    got: list[str] = []

    def handle(message: Message) -> None:
        if isinstance(message, events.Key):
            got.append(message.key)
        elif isinstance(message, events.Paste):
            got.append(f"paste:{message.text}")

    def done() -> bool:
        return len(got) >= until or ended.is_set()

    loop = threading.Thread(target=read_keys, args=(read_end, XTermParser(), done, handle),
                            daemon=True)  # fmt: skip
    loop.start()
    for chunk in chunks:
        os.write(write_end, chunk)
        time.sleep(0.03)  # longer than ESCDELAY: each chunk is read on its own
    loop.join(timeout=30)
    stuck = loop.is_alive()
    ended.set()  # a stuck loop ends too (it looks every 0.1 s), before the pipe is closed
    loop.join(timeout=5)
    assert not stuck, f"the loop never handed on {until} events: {got}"
    return got


def test_a_lone_escape_reaches_the_app(terminal: Terminal) -> None:
    assert keys_read(terminal, b"\x1b", until=1) == ["escape"]


def test_keys_and_sequences_read_as_before(terminal: Terminal) -> None:
    assert keys_read(terminal, b"c\x1b[Aq", until=3) == ["c", "up", "q"]


def test_a_paste_split_at_its_end_is_still_a_paste(terminal: Terminal) -> None:
    # the ESC that ends a paste, read alone, is not the escape key
    got = keys_read(terminal, b"\x1b[200~hello\x1b", b"[201~", b"q", until=2)
    assert got == ["paste:hello", "q"]


def test_a_byte_that_is_not_utf8_ends_nothing(terminal: Terminal) -> None:
    assert keys_read(terminal, b"\xff", b"q", until=2) == ["replacement_character", "q"]


@pytest.mark.parametrize("gone", ["pipe closed (EOF)", "pseudo-terminal hung up (EIO)"])
def test_the_loop_ends_when_the_terminal_is_gone_though_the_app_never_says_so(gone: str) -> None:
    """A killed tmux session or a dropped ssh: the app may end without telling the input
    thread (Textual's stop does so only on its normal way out), and Python's exit waits for it."""
    if gone.startswith("pipe"):
        read_end, write_end = os.pipe()
    else:
        write_end, read_end = os.openpty()  # the master side is what tmux or sshd holds
    loop = threading.Thread(target=read_keys, args=(read_end, XTermParser(), lambda: False,
                                                    lambda message: None), daemon=True)  # fmt: skip
    loop.start()
    os.write(write_end, b"q")
    os.close(write_end)
    loop.join(timeout=10)
    os.close(read_end)
    assert not loop.is_alive(), f"the input loop still reads a terminal that is gone ({gone})"


def test_a_read_that_would_block_is_tried_again(
    terminal: Terminal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """stdin left non-blocking, another reader first: the terminal is there, the loop goes on."""
    real_read, blocked = os.read, []

    def read(fd: int, size: int) -> bytes:
        if not blocked:
            blocked.append(fd)
            raise BlockingIOError
        return real_read(fd, size)

    monkeypatch.setattr(os, "read", read)
    assert keys_read(terminal, b"q", until=1) == ["q"] and blocked
