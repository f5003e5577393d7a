"""Provides one trainer's panel: name, state, progress, loss, speed, time and its live plot."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from engine.config import TrainerSpec
from engine.events import FamilyPoints, LossPoints, Member, TrainerEnded, TrainerPaused
from engine.history import LossLog
from engine.replay import last_loss
from tui.widgets.bordered import BorderedPanel
from tui.widgets.family import Family
from tui.widgets.loss_plot import LossPlot
from tui.widgets.loss_series import LossSeries
from tui.widgets.panel_text import ALARMS, PanelText, fit_title
from tui.widgets.plot_lines import GHOST_COLOUR, TRAINER_COLOURS, Curve

# A state's colour goes in the subtitle's markup: changing a CSS class would restyle the whole
# panel, plot included, and a pause key would wait for four plots to be redrawn.
STATE_COLOURS = {"starting": "$text-muted", "stopping": "$warning", "running": "$success",
                 "pausing": "$warning",
                 "paused": "$warning", "done": "$primary", "diverged": "$error",
                 "failed": "$error", "stopped": "$text-muted",
                 "unfinished": "$text-muted"}  # fmt: skip
WAITING = ("starting", "stopping", "pausing")  # asked for, not yet confirmed by the trainer


class TrainerPanel(PanelText, BorderedPanel, can_focus=True):
    """Shows one trainer; the app feeds it engine events and asks it to repaint on a timer."""

    def __init__(
        self,
        spec: TrainerSpec,
        iters: int,
        run_device: str = "cpu",
        log_every: int = 10,
        members: list[Member] | None = None,
    ) -> None:
        super().__init__(id=f"panel-{spec.name}", classes="panel")
        self.trainer = spec.name
        self.series = LossSeries()  # every iteration, for drawing
        self.loss_log = LossLog(log_every)  # every K-th, for comparing, exporting and replaying
        self.progress = ProgressBar(total=iters, show_eta=False, id="progress")
        self.eta = Static(id="eta")  # from the trainer's own it/s: a pause does not skew it
        self.stats = Static(id="stats")
        self.plot = LossPlot([], id="plot")
        self.ghost: Curve | None = None  # a past run's curve, drawn faintly behind
        self.family: Family | None = None  # a sweep's members
        self.drawn: tuple[int | None, tuple[int, ...]] = (None, ())  # a family's best, drawn
        self.restarts = 0  # restarts asked for whose new run has not started yet
        self.restart(spec, iters, run_device, members)

    def compose(self) -> ComposeResult:
        with Horizontal(id="progress-row"):
            yield self.progress
            yield self.eta
        yield self.stats
        yield self.plot

    def restart(
        self,
        spec: TrainerSpec,
        iters: int,
        run_device: str = "cpu",
        members: list[Member] | None = None,
    ) -> None:
        """Clears the panel for a fresh run of its trainer (the others may run on run_device),
        a sweep's when members are given."""
        self.restarts = max(0, self.restarts - 1)
        self.spec, self.iters = spec, iters
        self.family = Family(members, self.loss_log.every) if members else None
        self.set_run_device(run_device)
        self.state, self.message, self.details = "starting", "", ""
        self.mode, self.notice = "", ""  # "graphs" when captured; why graphs are off
        self.done, self.loss, self.rate, self.elapsed = 0, float("nan"), 0.0, 0.0
        self.series.clear()
        self.loss_log = LossLog(self.loss_log.every)
        self.curve = Curve(self.series, TRAINER_COLOURS[spec.name])  # the title names it
        self.progress.update(total=iters, progress=0)
        self.changed = True
        self.show_curves()

    def show_curves(self) -> None:
        """Draws the trainer's curve, or its family (the best member in its colour), and the
        ghost of a past run behind."""
        ghost = [] if self.ghost is None else [self.ghost]
        if self.family is None:
            self.plot.show([*ghost, self.curve])
            return
        self.drawn = self.family.drawn()
        curves = self.family.curves(TRAINER_COLOURS[self.trainer], self.drawn)
        self.curve = curves[-1] if self.drawn[0] is not None else self.curve
        self.plot.show([*ghost, *curves])

    def set_run_device(self, run_device: str) -> None:
        """Notes where the torch trainers run, so a CPU-only trainer can say it stays there."""
        self.stays_on_cpu = self.spec.device != run_device
        self.changed = True

    def take_points(self, event: LossPoints) -> None:
        """Takes a batch of losses (from the engine, via the app)."""
        self.series.extend(event.losses, event.times)
        self.loss_log.add(event)
        self.mode, self.notice = event.mode, event.notice or self.notice
        self.took(event, event.losses[-1])

    def take_family(self, event: FamilyPoints) -> None:
        """Takes a sweep's batch: every running member's losses for the same iterations."""
        if self.family is None or not event.points:
            return
        self.family.take(event)
        first = event.points[0]
        self.mode, self.notice = first.mode, first.notice or self.notice
        best = self.family.best()
        self.took(first, float("nan") if best is None else self.family.latest[best])
        self.done = event.next_iter

    def took(self, event: LossPoints, loss: float) -> None:
        """After a batch: where the trainer is, its loss and speed."""
        self.done, self.loss = event.next_iter, loss
        if len(event.times) > 1 and event.times[-1] > event.times[0]:
            self.rate = (len(event.times) - 1) / (event.times[-1] - event.times[0])
        self.elapsed = event.times[-1] if event.times else self.elapsed
        if self.state in ("starting", "paused") and len(event.losses) > 1:  # not "pausing"
            self.state = "running"
        self.changed = True

    def load_past(self, log: LossLog, end: dict[str, Any]) -> None:
        """Shows a past run of this trainer from its run log, and how it ended (PastRun.end_of:
        an unfinished one's speed is unknown, NaN, where its log has no times)."""
        self.loss_log = log
        self.series.load(log)
        self.done, self.state = int(end["iters"]), str(end["event"])
        self.message, self.rate = str(end.get("message", "")), float(end.get("it_s", "nan"))
        self.details = str(end.get("traceback", ""))
        self.loss = last_loss(log, end)
        self.elapsed = float(log.times[-1]) if log.size else 0.0
        if self.family is not None:  # a sweep's: its best member's loss and time
            best = self.family.best()
            self.loss = float("nan") if best is None else float(self.family.latest[best])
            times = [log.times[-1] for log in self.family.logs if log.size]
            self.elapsed = float(max(times, default=0.0))
            self.show_curves()
        self.changed = True

    def set_ghost(self, ghost: LossSeries | None) -> None:
        """Draws a past run's curve of this trainer faintly behind the live one."""
        self.ghost = None if ghost is None else Curve(ghost, GHOST_COLOUR, "past")
        self.show_curves()

    def take_paused(self, event: TrainerPaused) -> None:
        """The trainer is holding after event.iters iterations (shown at once)."""
        self.state, self.done, self.changed = "paused", event.iters, True
        self.repaint_text()

    def take_ended(self, event: TrainerEnded) -> None:
        """The trainer ended: done, diverged, failed or stopped (shown at once); with a restart
        on its way, the panel says it is starting."""
        if self.restarts:
            self.state, self.changed = "starting", True
            self.repaint_text()
            return
        self.state, self.message, self.changed = event.status, event.message, True
        self.done, self.details = event.iters, event.details
        if self.family is not None:
            self.family.take_ended(event)
        self.repaint_text()

    def mark_pausing(self) -> None:
        """The user asked for a pause; shown at once, until the trainer confirms it holds (a
        run still to be started says so when it is)."""
        if self.state in ("starting", "running") and not self.restarts:
            self.state, self.changed = "pausing", True
            self.repaint_text()

    def mark_stopping(self, restart: bool = False) -> None:
        """A restart or quit was asked for; shown at once, until the trainer has stopped (a
        trainer that has ended already is starting at once)."""
        self.restarts += restart
        if self.active or restart:
            self.state, self.changed = "stopping" if self.active else "starting", True
            self.repaint_text()

    def start_failed(self) -> None:
        """A restart asked for could not start (the app says why): the trainer stays stopped."""
        self.restarts = max(0, self.restarts - 1)
        if not self.restarts and self.state in ("stopping", "starting"):
            self.state, self.changed = "stopped", True
            self.repaint_text()

    def mark_running(self) -> None:
        """The user resumed it; shown at once, before the next batch arrives."""
        if self.state in ("pausing", "paused"):
            self.state, self.changed = "running", True
            self.repaint_text()

    @property
    def active(self) -> bool:
        """True while the trainer has not ended."""
        return self.state in ("starting", "stopping", "running", "pausing", "paused")

    def repaint(self) -> None:
        """Updates the text and the plot if anything changed since the last call (on a timer)."""
        if self.family is not None and self.drawn != self.family.drawn():
            self.show_curves()  # another member is best now
        self.plot.repaint_if_changed()
        self.repaint_text()

    def logs(self) -> dict[str, LossLog]:
        """The kept histories, by CSV column: the trainer's, or each member's of a sweep."""
        if self.family is None:
            return {self.trainer: self.loss_log}
        return self.family.member_logs(self.trainer)

    def repaint_text(self) -> None:
        """Updates title, state, progress and stats; the plot is left to the timer.

        A key's effect (pausing, say) then shows in the next frame instead of waiting for four
        plots to be redrawn.
        """
        if not self.changed:
            return
        self.changed = False
        where = "stays on cpu" if self.stays_on_cpu else self.spec.device
        graphs = " · graphs" if self.mode == "graphs" else ""
        swept = self.family is not None and "lr" in self.family.axes
        lr = "lr swept" if swept else f"lr {self.spec.lr:g}"
        title = fit_title(
            [self.trainer, where + graphs, self.spec.dtype.replace("float", "f"), lr],
            self.size.width,
        )
        colour = STATE_COLOURS[self.state]
        state = f"{self.state}…" if self.state in WAITING else self.state
        progress = f"{self.done}/{self.iters}"
        family = self.family_summary(len(state) + 1 + len(progress), self.size.width)
        self.set_border_text(title, f"[{colour}]{state}[/] {progress}{family}")
        for state in ALARMS:
            self.set_class(self.state == state, f"-{state}")
        self.progress.update(progress=self.done)
        # a layout of the whole screen costs 10-20 ms and makes the next frame a full one (19 kB
        # to the terminal): eta has a fixed width, and only a failure's message changes a height
        self.eta.update(self.eta_line(), layout=False)
        self.stats.update(self.stats_line(), layout=self.state in ALARMS)

    def on_resize(self) -> None:
        self.changed = True  # a sweep's subtitle says as much as the new width holds
