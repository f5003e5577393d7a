"""Provides the app-wide messages: what the engine's worker threads and the terminal driver post
to the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from engine.devices import DeviceInfo
from engine.events import Event


@dataclass
class EngineEvent(Message):
    """A batch of loss points, a pause or an end, from one trainer (event.run says which start)."""

    event: Event


@dataclass
class DevicesFound(Message):
    """The devices torch can see, listed by a child process the first time d is pressed."""

    devices: list[DeviceInfo]
    problem: str = ""  # why only the CPU is listed, when the listing failed


class TerminalLost(Message):
    """The terminal vanished (a write to it failed): nothing can be drawn or typed any more."""
