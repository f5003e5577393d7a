"""Provides the Textual app: composes the dashboard, binds keys and routes engine events."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import IO, Any, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.driver import Driver
from textual.screen import Screen
from textual.widgets import Static

from engine.config import ConfigError, RunConfig
from engine.events import Event, TrainerEnded, single_events
from engine.export.tensorboard import TensorBoardWriter
from engine.export.weights import WeightsKeeper
from engine.loop import WEIGHTS_IF_FINISHED, describe
from engine.records import RecordWriter
from engine.replay import PastRun, problems_notice
from engine.runlog import RunLog
from engine.runner import Runner
from tui import commands
from tui.lab_actions import LabActions
from tui.messages import EngineEvent, TerminalLost
from tui.outputs import ask_for_weights, convert_replay, write_weights
from tui.settings_dialogs import SettingsDialogs
from tui.terminal import lasting
from tui.trainer_control import TrainerControl
from tui.widgets.dashboard import Dashboard
from tui.widgets.footer import KeyFooter

REPAINT_SECONDS = 0.5


class MlpApp(LabActions, SettingsDialogs):
    """The dashboard: one live panel per trainer, keyboard first."""

    CSS_PATH = "app.tcss"
    TITLE = "mlp-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-too-narrow"), (60, "-narrow"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-too-short"), (16, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = commands.BINDINGS

    def __init__(
        self,
        config: RunConfig,
        jsonl: IO[str] | None = None,
        workers: str = "process",
        autostart: bool = True,
        run_log: RunLog | None = None,
        replay: PastRun | None = None,
        compare: PastRun | None = None,
        tensorboard: TensorBoardWriter | None = None,
        convert_to: Path | None = None,
        quiet: bool = False,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.quiet = quiet  # no bell at the end of a run
        self.keymap = keymap or {}
        if keymap:  # --key ID=KEYS: the user's keys for these actions
            self.set_keymap(keymap)
        self.config = config
        self.autostart = autostart and replay is None
        self.jsonl = RecordWriter(jsonl, config.log_every) if jsonl else None
        self.run_log, self.replay, self.compare = run_log, replay, compare
        self.tensorboard, self.convert_to = tensorboard, convert_to
        self.weights = WeightsKeeper()  # every trainer sends its weights as it ends, for k
        log_dir = run_log.path if run_log is not None else None
        mode = "thread" if replay else workers
        self.runner = Runner(config, self._from_engine, mode, WEIGHTS_IF_FINISHED, log_dir)
        if run_log is not None:  # a full disk ends the log, not the run
            run_log.on_error = partial(self.notify, severity="warning", timeout=30)
        self.dashboard = Dashboard(config)
        self.control = TrainerControl(self, self.runner, self.dashboard)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver; on a terminal, one that a vanished terminal can't hang."""
        return lasting(super().get_driver_class())

    def compose(self) -> ComposeResult:
        yield self.dashboard
        yield Static(
            "The terminal is too small for mlp-tui: make it at least 60 columns by 16 rows.",
            id="too-small",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):  # kill, or a dropped SSH connection
            loop.add_signal_handler(signum, self.quit_run)
        self.set_interval(REPAINT_SECONDS, self.repaint_dashboard)
        self.build_dialogs()
        if self.replay is not None:
            self.dashboard.load_past(self.replay)
            self.notify(f"replay of {self.replay.path}: nothing trains; y shows the command that "
                        "runs it again", timeout=6)  # fmt: skip
        if self.compare is not None:
            self.dashboard.set_ghosts(self.compare)
        if self.replay is not None and self.convert_to is not None:
            convert_replay(self, self.replay, self.convert_to)
        for past in (self.replay, self.compare):
            if past is not None and past.problems:
                self.notify(problems_notice(past), severity="warning", timeout=10)
        if self.autostart:
            self.start_trainers(self.config.trainers)
        # What exists now (modules, widgets) lasts as long as the app: out of the cycle
        # collector's way, whose full passes over it stalled the screen 30-200 ms every few s.
        gc.freeze()

    def repaint_dashboard(self) -> None:
        """The timer's repaint, while the dashboard shows: under a dialog each change would
        wait undrawn, and closing the dialog would draw them all in one frame."""
        if len(self.screen_stack) == 1:  # (empty as the app ends: then nothing to draw)
            self.dashboard.repaint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A replay only shows: the keys that would train do nothing (and leave the footer)."""
        return not (self.replay is not None and action in commands.TRAINING_ACTIONS)

    def _from_engine(self, event: Event) -> None:
        """Called in worker threads: hands the event to the app's own thread."""
        self.post_message(EngineEvent(event))

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if not self.control.take(event):
            return  # left over from a run the user replaced
        for single in single_events(event):  # a sweep's batch: each member's points
            for sink in (self.jsonl, self.run_log, self.tensorboard):
                if sink is not None:
                    sink.write(single)
        if self.weights.take(event):
            write_weights(self)
        if isinstance(event, TrainerEnded):
            self.ring_if_finished(event)

    def ring_if_finished(self, event: TrainerEnded) -> None:
        """Rings the bell once when the last trainer ends by itself (not stopped by the user)."""
        ended = not any(panel.active for panel in self.dashboard.panels())
        if ended and event.status != "stopped" and not self.quiet:
            self.bell()

    async def run_action(self, action: str | Any, *args: Any, **kwargs: Any) -> bool:
        """Runs a key's or the palette's action; an error in it is a notification, never an exit."""
        try:
            return await super().run_action(action, *args, **kwargs)
        except Exception as error:
            # the app's own refusals say what to do; anything else is named, as a fault
            text = str(error) if type(error) in (ConfigError, LookupError) else describe(error)
            self.notify(text, title="Not done", severity="error", timeout=8)
            return True

    def start_trainers(self, names: Iterable[str], config: RunConfig | None = None) -> None:
        """(Re)starts the named trainers from iteration 0, with new settings if given."""
        self.config = config or self.config  # what later keys build on
        self.control.start(names, self.config)

    def action_toggle_pause(self) -> None:
        self.control.toggle_pause(self.dashboard.panels())

    def action_toggle_pause_focused(self) -> None:
        self.control.toggle_pause([self.focused_panel("p pauses or resumes its trainer")])

    def action_step(self) -> None:
        self.control.step()

    def action_restart(self) -> None:
        self.start_trainers(self.config.trainers)

    def action_restart_focused(self) -> None:
        self.start_trainers([self.focused_panel("R restarts its trainer").trainer])

    def action_scale_lr(self, factor: float) -> None:
        name = self.focused_panel("[ or ] changes its learning rate").trainer
        if any(axis == "lr" for axis, _ in self.config.sweep):
            raise LookupError(
                "the learning rate is swept: each member has its own (c changes them)"
            )
        lr = self.config.spec(name).lr * factor
        self.start_trainers([name], self.config.with_changes(lr={**self.config.lr, name: lr}))
        self.notify(f"{name}: learning rate {lr:g}, restarting", timeout=2)

    def action_save_weights(self) -> None:
        ask_for_weights(self)

    async def action_quit(self) -> None:
        """q or ctrl+c."""
        self.quit_run()

    def quit_run(self) -> None:
        """q, ctrl+c, SIGTERM, SIGHUP: the trainers stop, then the app exits."""
        self.control.quit()

    def on_terminal_lost(self, _message: TerminalLost) -> None:
        """The terminal is gone, and no SIGHUP may come (a shell that keeps it): as if it had."""
        self.quit_run()

    def on_unmount(self) -> None:
        self.control.close()  # however the app ends, no trainer outlives it
        gc.unfreeze()  # another app may start in this process (tests do)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in commands.PALETTE:
            if self.check_action(action.split("(")[0], ()):
                yield SystemCommand(title, help_text, partial(self.run_action, action))
