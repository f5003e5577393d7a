"""Provides the Textual app: composes the trainer panels, binds keys and routes engine events."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable
from typing import IO, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Static

from engine.config import RunConfig
from engine.devices import DeviceInfo, list_devices
from engine.events import Event, LossPoints, TrainerEnded, TrainerPaused
from engine.records import RecordSink, RecordWriter
from engine.runner import Runner
from tui.messages import DevicesFound, EngineEvent
from tui.screens.controls import ControlsScreen, changed_trainers
from tui.screens.devices import DeviceScreen
from tui.screens.help import HelpScreen
from tui.widgets.trainer_panel import TrainerPanel

REPAINT_SECONDS = 0.5


class MlpApp(App[int]):
    """The dashboard: one live panel per trainer, keyboard first."""

    CSS_PATH = "app.tcss"
    TITLE = "mlp-tui"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-too-narrow"),
        (60, "-narrow"),
        (160, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (16, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "Pause/resume"),
        Binding("n", "step", "Step"),
        Binding("r", "restart", "Restart"),
        Binding("l", "toggle_log", "Log/linear"),
        Binding("c", "controls", "Controls"),
        Binding("d", "devices", "Device"),
        Binding("left_square_bracket", "scale_lr(0.5)", "halve lr"),
        Binding("right_square_bracket", "scale_lr(2)", "double lr"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("right,down", "app.focus_next", "Next panel", show=False),
        Binding("left,up", "app.focus_previous", "Previous panel", show=False),
    ]

    def __init__(
        self,
        config: RunConfig,
        jsonl: IO[str] | None = None,
        workers: str = "process",
        autostart: bool = True,
        run_log: RecordSink | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.autostart = autostart
        self.sinks: list[RecordSink] = [RecordWriter(jsonl, config.log_every)] if jsonl else []
        self.sinks += [run_log] if run_log else []
        self.runner = Runner(config, self._from_engine, workers)
        self.current_run: dict[str, int] = {}
        self.log_scale = True
        # Listed in the background when first asked for: it imports torch, seconds of CPU that
        # the trainers would lose at start-up.
        self.devices: list[DeviceInfo] | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="panels"):
            for spec in self.config.specs():
                yield TrainerPanel(spec, self.config.iters, self.config.device)
        yield Static(
            "The terminal is too small for mlp-tui: make it at least 60 columns by 16 rows.",
            id="too-small",
        )
        yield Footer()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):  # kill, or a dropped SSH connection
            loop.add_signal_handler(signum, self.exit, 0)
        self.set_interval(REPAINT_SECONDS, self.repaint)
        # built once, so that c opens it in a frame or two instead of composing ~30 widgets
        self.install_screen(ControlsScreen(self.config), "controls")
        if self.autostart:
            self.start_trainers(self.config.trainers)

    @work(thread=True, exclusive=True, group="devices")
    def find_devices(self) -> None:
        self.post_message(DevicesFound(list_devices()))

    def on_devices_found(self, message: DevicesFound) -> None:
        self.devices = message.devices
        if isinstance(self.screen, DeviceScreen):
            self.screen.show_devices(message.devices)

    def _from_engine(self, event: Event) -> None:
        """Called in worker threads: hands the event to the app's own thread."""
        self.post_message(EngineEvent(event))

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if event.run != self.current_run.get(event.trainer):
            return  # left over from a run the user replaced
        for sink in self.sinks:
            sink.write(event)
        panel = self.panel(event.trainer)
        if isinstance(event, LossPoints):
            panel.take_points(event)
        elif isinstance(event, TrainerPaused):
            panel.take_paused(event)
        elif isinstance(event, TrainerEnded):
            panel.take_ended(event)

    def repaint(self) -> None:
        """A few times a second: redraw the panels that changed."""
        for panel in self.query(TrainerPanel):
            panel.repaint()

    def panel(self, name: str) -> TrainerPanel:
        return self.query_one(f"#panel-{name}", TrainerPanel)

    def start_trainers(self, names: Iterable[str], config: RunConfig | None = None) -> None:
        """(Re)starts the named trainers from iteration 0 with the current settings."""
        names = list(names)
        self.runner.start(names, config)
        self.config = self.runner.config
        for name in names:
            self.current_run[name] = self.runner.starts
            self.panel(name).restart(self.config.spec(name), self.config.iters, self.config.device)
        for panel in self.query(TrainerPanel):
            panel.set_run_device(self.config.device)

    def action_toggle_pause(self) -> None:
        panels = [panel for panel in self.query(TrainerPanel) if panel.active]
        if any(panel.state != "paused" for panel in panels):
            self.runner.pause()
            for panel in panels:
                panel.mark_pausing()
        else:
            self.runner.resume()
            for panel in panels:
                panel.mark_running()

    def action_step(self) -> None:
        self.runner.step()

    def action_restart(self) -> None:
        self.start_trainers(self.config.trainers)

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        for panel in self.query(TrainerPanel):
            panel.plot.set_log_scale(self.log_scale)
        self.notify("log scale" if self.log_scale else "linear scale", timeout=1.5)

    def action_scale_lr(self, factor: float) -> None:
        focused = self.focused
        if not isinstance(focused, TrainerPanel):
            self.notify("Focus a panel first (tab), then [ or ] changes its learning rate.")
            return
        name = focused.trainer
        lr = self.config.spec(name).lr * factor
        self.start_trainers([name], self.config.with_changes(lr={**self.config.lr, name: lr}))
        self.notify(f"{name}: learning rate {lr:g}, restarted", timeout=2)

    def action_controls(self) -> None:
        controls = self.get_screen("controls", ControlsScreen)
        controls.config = self.config  # shown when the screen resumes
        self.push_screen(controls, self.apply_controls)

    def apply_controls(self, config: RunConfig | None) -> None:
        if config is None or config == self.config:
            return
        names = changed_trainers(self.config, config)
        self.start_trainers(names, config)
        self.notify(f"applied; restarted {', '.join(names)}", timeout=2)

    def action_devices(self) -> None:
        if self.devices is None:
            self.find_devices()
        self.push_screen(DeviceScreen(self.config.device, self.devices), self.apply_device)

    def apply_device(self, device: str | None) -> None:
        if device is None or device == self.config.device:
            return
        torch_names = [name for name in self.config.trainers if name != "numpy"]
        self.start_trainers(torch_names, self.config.with_changes(device=device))
        self.notify(f"torch trainers moved to {device}; numpy stays on CPU", timeout=3)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    async def action_quit(self) -> None:
        """q or ctrl+c (SIGTERM and SIGHUP exit directly): unmounting stops the trainers."""
        self.exit(0)

    def on_unmount(self) -> None:
        self.runner.stop()  # however the app ends, no trainer outlives it
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Pause or resume", "Pause every trainer, or resume them", self.action_toggle_pause
        )
        yield SystemCommand("Step", "Advance every trainer one iteration", self.action_step)
        yield SystemCommand(
            "Restart", "Restart every trainer from iteration 0", self.action_restart
        )
        yield SystemCommand("Log / linear", "Switch the plots' y scale", self.action_toggle_log)
        yield SystemCommand(
            "Controls", "Sizes, iterations, seed, dtype, learning rates", self.action_controls
        )
        yield SystemCommand(
            "Device", "Move the torch trainers to another device", self.action_devices
        )


def run_app(
    config: RunConfig, jsonl: IO[str] | None, workers: str, run_log: RecordSink | None = None
) -> int:
    """Runs the dashboard until the user quits; returns the exit code."""
    app = MlpApp(config, jsonl, workers, run_log=run_log)
    try:
        app.run()
    finally:
        app.runner.stop()  # already done on unmount; here too if the app crashed before it
    return app.return_code or 0
