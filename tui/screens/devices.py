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
from engine.devices import DeviceInfo, list_devices, resolve_device


class DeviceScreen(ModalScreen[str | None]):
    """Lists the devices torch can see; choosing one moves the torch trainers there."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, devices: list[DeviceInfo] | None = None) -> None:
        super().__init__()
        self.current = current
        self.devices = list_devices() if devices is None else devices

    def compose(self) -> ComposeResult:
        with Vertical(id="devices"):
            yield Static("Device for the torch trainers (numpy stays on CPU)", id="devices-title")
            options = [
                Option(
                    device.label + ("  (current)" if device.id == self.current else ""),
                    id=device.id,
                )
                for device in self.devices
            ]
            yield OptionList(*options, id="device-list")
            if not any(device.id.startswith("cuda") for device in self.devices):
                yield Static("No CUDA device was found.", id="no-cuda")
            yield Input(
                placeholder="or type one: cpu, cuda, cuda:N, mps — then Enter",
                id="device-typed",
                compact=True,
            )
            yield Static("", id="device-error")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option.id or "cpu")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.choose(event.value)

    def choose(self, name: str) -> None:
        """Dismisses with the device, or says why it can't be used."""
        try:
            device = resolve_device(name, self.devices)
        except ConfigError as error:
            self.query_one("#device-error", Static).update(str(error))
            return
        self.dismiss(device)

    def action_cancel(self) -> None:
        self.dismiss(None)
