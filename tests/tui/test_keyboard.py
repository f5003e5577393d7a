"""The input loop: a lone escape is handed on after ESCDELAY (10 ms by default) instead of
Textual's 100 ms and next poll; a sequence is still one key, however it arrives."""

from __future__ import annotations

import os
import threading
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


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pipe standing in for the terminal: (what the loop reads, what the test writes)."""
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


def keys_read(terminal: tuple[int, int], *chunks: bytes, until: int) -> list[str]:
    """Writes the chunks to the loop, which runs until it has handed on `until` keys."""
    read_end, write_end = terminal
    keys: list[str] = []

    def handle(message: Message) -> None:
        if isinstance(message, events.Key):
            keys.append(message.key)

    loop = threading.Thread(
        target=read_keys, args=(read_end, XTermParser(), lambda: len(keys) >= until, handle)
    )
    loop.start()
    for chunk in chunks:
        os.write(write_end, chunk)
    loop.join(timeout=30)
    assert not loop.is_alive(), f"the loop never handed on {until} keys: {keys}"
    return keys


def test_a_lone_escape_reaches_the_app(terminal: tuple[int, int]) -> None:
    assert keys_read(terminal, b"\x1b", until=1) == ["escape"]


def test_keys_and_sequences_read_as_before(terminal: tuple[int, int]) -> None:
    assert keys_read(terminal, b"c\x1b[Aq", until=3) == ["c", "up", "q"]
