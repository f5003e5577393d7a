"""Provides the device selector: CPU, each CUDA GPU (name, memory) and MPS, or a typed device."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from engine.config import ConfigError
from engine.devices import DeviceInfo, resolve_device


class DeviceScreen(ModalScreen[str | None]):
    """Lists the devices torch can see; choosing one moves the torch trainers there.

    Args:
        current: the device the torch trainers run on now.
        devices: the devices found, or None while the app is still looking (see show_devices).
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
            )
            yield Static("", id="device-error")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if self.devices is not None:
            self.show_devices(self.devices)

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
