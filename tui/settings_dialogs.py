"""Provides the app's dialogs that change a run, and their keys: the controls (c) and the
device selector (d), built with help as the app starts so that each opens in a frame or two."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import work
from textual.app import App

from engine.cli import with_device
from engine.config import RunConfig, changed_trainers
from engine.devices import DeviceInfo, cpu_name
from engine.loop import describe
from tui import commands
from tui.messages import DevicesFound
from tui.screens.controls import ControlsScreen
from tui.screens.devices import DeviceScreen, list_devices_apart
from tui.screens.help import HelpScreen
from tui.screens.kept import KeptScreen, build_kept
from tui.widgets.dashboard import Dashboard


class SettingsDialogs(App[int]):
    """The controls and device dialogs, mixed into the app (tui/app.py), which sets these."""

    config: RunConfig
    keymap: dict[str, str]
    dashboard: Dashboard
    # listed by a child process when first asked for: it imports torch, seconds of CPU that the
    # trainers would lose at start-up
    devices: list[DeviceInfo] | None = None

    def start_trainers(self, names: Iterable[str], config: RunConfig | None = None) -> None:
        raise NotImplementedError  # the app's

    def build_dialogs(self) -> None:
        """Builds the controls, help and device dialogs now, without drawing them, so that the
        first c, ? or d opens as fast as later ones (a frame or two).

        Textual composes, styles, lays out and renders a screen the first time it is pushed
        (the controls: 150-180 ms); tui/screens/kept.py does it while the trainers start.
        """
        bindings = commands.remapped(self.BINDINGS, self.keymap)  # the keys as --key made them
        dialogs: dict[str, KeptScreen[Any]] = {
            "controls": ControlsScreen(self.config),
            "help": HelpScreen(bindings, commands.DETAILS),
            "devices": DeviceScreen(self.config.device, self.devices),
        }
        build_kept(self, dialogs)

    def action_controls(self) -> None:
        controls = self.get_screen("controls", ControlsScreen)
        controls.config = self.config  # shown when the screen resumes
        self.push_screen(controls, self.apply_controls)

    def apply_controls(self, config: RunConfig | None) -> None:
        if config is None:
            return
        names = changed_trainers(self.config, config)
        self.start_trainers(names, config)
        going = any(panel.active for panel in self.dashboard.panels())
        said = (
            f"restarting {', '.join(names)}"
            if names
            else "nothing changed" + ": all run on" * going
        )
        self.notify(f"applied; {said}", timeout=3)

    def action_devices(self) -> None:
        if self.devices is None and not any(w.group == "devices" for w in self.workers):
            self.find_devices()  # once: d pressed again while it lists starts no second child
        devices = self.get_screen("devices", DeviceScreen)
        devices.current, devices.devices = self.config.device, self.devices  # shown as it opens
        self.push_screen(devices, self.apply_device)

    def apply_device(self, device: str | None) -> None:
        if device is None:
            return
        if device == self.config.device:
            self.notify(f"the torch trainers run on {device} already: nothing changed", timeout=3)
            return
        try:
            config = with_device(self.config.with_changes(device=device), running=self.config)
        except Exception as error:  # a device that vanished, or arrays that don't fit on it
            self.notify(f"not moved to {device}: {describe(error)}", severity="error", timeout=8)
            return
        self.start_trainers(config.torch_trainers, config)
        self.notify(f"torch trainers moving to {device}; numpy stays on CPU", timeout=3)

    @work(thread=True, exclusive=True, group="devices")
    def find_devices(self) -> None:
        try:
            self.post_message(DevicesFound(list_devices_apart()))
        except (OSError, RuntimeError, ValueError) as error:
            self.post_message(DevicesFound([DeviceInfo("cpu", cpu_name())], str(error)))

    def on_devices_found(self, message: DevicesFound) -> None:
        self.devices = message.devices
        if message.problem:
            self.notify(message.problem, severity="error", timeout=8)
        if isinstance(self.screen, DeviceScreen):
            self.screen.show_devices(message.devices)
