"""Provides the app's keys that look at a run rather than change it: views, the gradient check,
the code, export, a trainer's details, the command line and help."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from engine.config import RunConfig
from engine.export.tensorboard import TensorBoardWriter
from engine.flags import build_parser
from engine.replay import PastRun
from engine.runlog import RunLog
from engine.runspec import command_line
from tui.export import export_run
from tui.screens.code import CodeScreen
from tui.screens.gradcheck import GradcheckScreen
from tui.screens.sweep import SweepScreen
from tui.screens.text import TextScreen
from tui.widgets.dashboard import Dashboard
from tui.widgets.trainer_panel import TrainerPanel


class LabActions(App[int]):
    """The lab's actions, mixed into the app (tui/app.py), which sets these attributes."""

    config: RunConfig
    dashboard: Dashboard
    run_log: RunLog | None
    tensorboard: TensorBoardWriter | None
    keymap: dict[str, str]
    replay: PastRun | None

    def focused_panel(self, what: str) -> TrainerPanel:
        """The panel with focus, or an error that says how to focus one."""
        if not isinstance(self.focused, TrainerPanel):
            raise LookupError(f"focus a panel first (tab), then {what}")
        return self.focused

    def action_view(self, what: str) -> None:
        message = self.dashboard.change_view(what)
        if message:
            self.notify(message, timeout=1.5)

    def action_sweep_view(self) -> None:
        families = self.dashboard.families
        if not families():
            how = "" if self.replay else ": start one with --sweep lr=1e-7:1e-4:16, or in c"
            raise LookupError(f"no sweep in this run{how}")
        self.push_screen(SweepScreen(families, self.dashboard.view.smoothing))

    def action_gradcheck(self) -> None:
        if self.config.sweep:
            raise LookupError("the gradient check checks one network per trainer, not a sweep")
        self.push_screen(GradcheckScreen(self.config))

    def action_code(self) -> None:
        self.push_screen(CodeScreen(self.config.trainers))

    def action_export(self) -> None:
        # beside the run's own log: this run's, or in a replay the past run's; else here
        folder = Path.cwd()
        if self.run_log is not None:
            folder = self.run_log.path
        elif self.replay is not None:
            folder = self.replay.path
        logs = {
            name: log for panel in self.dashboard.panels() for name, log in panel.logs().items()
        }
        try:
            paths = export_run(self, logs, folder)
        except OSError as error:
            self.notify(f"could not export to {folder}: {error.strerror}", severity="error")
            return
        self.notify("wrote " + " and ".join(str(path) for path in paths), timeout=6)

    def action_details(self) -> None:
        panel = self.focused_panel("i shows its trainer's details")
        self.push_screen(TextScreen(f"{panel.trainer}: {panel.state}", panel.details_text()))

    def action_command_line(self) -> None:
        outputs = {"tensorboard": self.tensorboard.root if self.tensorboard else None}
        line = command_line(self.config, build_parser(), outputs)
        self.copy_to_clipboard(line)
        title = "The command that runs this again (also in the clipboard, if the terminal lets)"
        self.push_screen(TextScreen(title, line))

    def action_help(self) -> None:
        self.push_screen("help")  # built as the app started (MlpApp.build_dialogs)
