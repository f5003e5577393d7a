"""Provides the device selector: CPU, each CUDA GPU (name, memory) and MPS, or a typed device."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

import engine
from engine.config import ConfigError
from engine.devices import DeviceInfo, resolve_device
from tui.screens.kept import KeptScreen, clear_line

# list_devices() in a child interpreter, its devices as JSON on stdout; niced below the app (its
# second of importing torch would take a core from the screen) and above the trainers
LISTER = """import json, os, sys
os.nice(10)
sys.path.insert(0, sys.argv[1])
from engine.devices import list_devices
print(json.dumps([[d.id, d.name, d.memory_bytes] for d in list_devices()]))"""
LISTER_SECONDS = 300  # importing torch on a busy machine takes a while; a hung driver, longer


def list_devices_apart() -> list[DeviceInfo]:
    """What engine.devices.list_devices() finds, asked of a child process.

    Importing torch costs 1-2 s of CPU and leaves a quarter of a million objects for the cycle
    collector; in a thread of the app it would hold the interpreter lock the screen needs.

    Raises:
        RuntimeError: the child failed, with the last line it wrote on stderr.
    """
    root = str(Path(engine.__file__).resolve().parent.parent)
    try:
        child = subprocess.run([sys.executable, "-c", LISTER, root], capture_output=True,
                               text=True, timeout=LISTER_SECONDS, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"could not list the devices: no answer in {LISTER_SECONDS} s") from None
    if child.returncode != 0:
        lines = child.stderr.strip().splitlines() or [f"exit code {child.returncode}"]
        raise RuntimeError(f"could not list the devices: {lines[-1]}")
    return [DeviceInfo(*fields) for fields in json.loads(child.stdout)]


class DeviceScreen(KeptScreen[str | None]):
    """Lists the devices torch can see; choosing one moves the torch trainers there.

    Args:
        current: the device the torch trainers run on now.
        devices: the devices found, or None while the app is still looking (see show_devices).
            Both are read each time the screen opens.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, devices: list[DeviceInfo] | None) -> None:
        super().__init__()
        self.current = current
        self.devices = devices

    def compose(self) -> ComposeResult:
        with Vertical(id="devices"):
            yield Static("Device for the torch trainers (numpy stays on CPU)", id="devices-title")
            yield OptionList(id="device-list")
            yield Static("Looking for devices…", id="device-note")
            yield Input(
                placeholder="or type one: cpu, cuda, cuda:N, mps — then Enter",
                id="device-typed",
                compact=True,
                select_on_focus=False,  # what on_key typed into it stays
            )
            yield Static("", id="device-error")

    def on_screen_resume(self) -> None:
        """Each time it opens (the app reuses it): the devices found, nothing typed, no error."""
        self.query_one("#device-typed", Input).value = ""
        clear_line(self.query_one("#device-error", Static))
        if self.devices is not None:
            self.show_devices(self.devices)
        self.query_one(OptionList).focus()

    def show_devices(self, devices: list[DeviceInfo]) -> None:
        """Lists the devices found, marking the current one."""
        self.devices = devices
        options = self.query_one(OptionList)
        options.clear_options()
        for device in devices:
            current = "  (current)" if device.id == self.current else ""
            options.add_option(Option(device.label + current, id=device.id))
        has_cuda = any(device.id.startswith("cuda") for device in devices)
        note = "" if has_cuda else "No CUDA device was found."
        self.query_one("#device-note", Static).update(note)

    def on_key(self, event: events.Key) -> None:
        """A character typed while the list has focus goes into the field: `cuda:1` can be
        typed at once, without tab first."""
        typed = self.query_one("#device-typed", Input)
        if event.is_printable and event.character and not typed.has_focus:
            event.stop()
            event.prevent_default()
            typed.focus()
            typed.insert_text_at_cursor(event.character)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option.id or "cpu")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.choose(event.value)

    def choose(self, name: str) -> None:
        """Dismisses with the device, or says why it can't be used."""
        error = self.query_one("#device-error", Static)
        if self.devices is None:
            error.update("Still looking for devices…")
            return
        try:
            device = resolve_device(name, self.devices)
        except ConfigError as problem:
            error.update(str(problem))
            return
        self.dismiss(device)

    def action_cancel(self) -> None:
        self.dismiss(None)
