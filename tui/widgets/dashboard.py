"""Provides the dashboard: trainer panels side by side or overlaid in one plot, and equivalence."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Grid, Vertical

from engine.config import RunConfig
from engine.equivalence import Report, equivalence, family_equivalence
from engine.events import Member
from engine.history import LossLog
from engine.replay import PastRun
from engine.sweep.spec import members
from tui.widgets.equivalence_panel import EquivalencePanel
from tui.widgets.family import Family
from tui.widgets.loss_plot import LossPlot
from tui.widgets.loss_series import LossSeries
from tui.widgets.panel_text import ALARMS
from tui.widgets.plot_lines import (
    CURSOR_STEP,
    GHOST_COLOUR,
    SMOOTHING_STEPS,
    SPANS,
    Curve,
    PlotView,
)
from tui.widgets.trainer_panel import TrainerPanel


class Dashboard(Vertical):
    """What the main screen shows; the app feeds its panels and asks it to repaint on a timer."""

    def __init__(self, config: RunConfig) -> None:
        super().__init__(id="dashboard")
        self.config = config
        self.view = PlotView()
        self.ghosts: dict[str, LossSeries] = {}
        self.overlay = LossPlot([], id="overlay")
        self.equivalence = EquivalencePanel(id="equivalence")

    def compose(self) -> ComposeResult:
        with Grid(id="panels"):
            for spec in self.config.specs():
                yield TrainerPanel(spec, self.config.iters, self.config.device,
                                   self.config.log_every, sweep_members(self.config))  # fmt: skip
        yield self.overlay
        yield self.equivalence

    def on_mount(self) -> None:
        self.overlay.show(self.overlay_curves())

    def panel(self, name: str) -> TrainerPanel:
        return self.query_one(f"#panel-{name}", TrainerPanel)

    def panels(self) -> list[TrainerPanel]:
        return list(self.query(TrainerPanel))

    def families(self) -> dict[str, Family]:
        """A sweep's trainers' families, in the panels' order; empty without a sweep."""
        return {panel.trainer: panel.family for panel in self.panels() if panel.family is not None}

    def start(self, name: str, config: RunConfig) -> None:
        """Clears a trainer's panel for its fresh run with these settings."""
        self.config = config
        self.panel(name).restart(config.spec(name), config.iters, config.device,
                                 sweep_members(config))  # fmt: skip
        for panel in self.panels():
            panel.set_run_device(config.device)
            panel.repaint_text()  # the new settings in the title at once, not at the next repaint

    def load_past(self, past: PastRun) -> None:
        """Fills the panels from a past run's log (a replay)."""
        for panel in self.panels():  # one that failed before its first point has no log
            name = panel.trainer
            panel.restart(past.specs[name], past.iters[name], past.config.device,
                          sweep_members(past.config))  # fmt: skip
            if panel.family is not None:
                panel.family.load(past.members.get(name, {}), past.member_ends.get(name, {}))
            log = past.logs.get(name, LossLog(past.config.log_every))
            panel.load_past(log, past.end_of(name))
            panel.repaint_text()
        self.overlay.show(self.overlay_curves())

    def set_ghosts(self, past: PastRun) -> None:
        """Draws a past run's curves faintly behind the live ones."""
        for name in past.config.trainers:  # a sweep's: its best member
            log = past.trainer_log(name)
            if log is not None:
                self.ghosts[name] = LossSeries()
                self.ghosts[name].load(log)
        for panel in self.panels():
            panel.set_ghost(self.ghosts.get(panel.trainer))
        self.overlay.show(self.overlay_curves())

    def overlay_curves(self) -> list[Curve]:
        ghosts = [Curve(series, GHOST_COLOUR, "") for series in self.ghosts.values()]
        if ghosts:
            ghosts[0] = replace(ghosts[0], label="past run")
        return ghosts + [replace(panel.curve, label=panel.trainer) for panel in self.panels()]

    def change_view(self, what: str) -> str:
        """Applies a view key (log, x, smoothing, zoom, cursor, overlay, equivalence); says what
        it did ("" when the plot shows it well enough: a cursor's move)."""
        if what in ("cursor_left", "cursor_right"):
            return self.move_cursor(-1 if what == "cursor_left" else 1)
        if what == "overlay":
            self.toggle_class("-overlay")
            return "all trainers in one plot" if self.has_class("-overlay") else "one plot each"
        if what == "equivalence":
            self.toggle_class("-equivalence")
            self.repaint()
            return "equivalence shown" if self.has_class("-equivalence") else "equivalence hidden"
        view = self.view
        if what == "log":
            view = replace(view, log_scale=not view.log_scale)
        elif what == "x":
            view = replace(view, by_time=not view.by_time)
        elif what == "smoothing":
            index = SMOOTHING_STEPS.index(view.smoothing)  # off, 0.6, 0.9, 0.99, off…
            view = replace(view, smoothing=SMOOTHING_STEPS[(index + 1) % len(SMOOTHING_STEPS)])
        elif what == "zoom":
            view = replace(view, span=SPANS[(SPANS.index(view.span) + 1) % len(SPANS)])
        self.view = view
        for plot in self.query(LossPlot):  # each keeps its own cursor
            plot.show(view=replace(view, cursor=plot.view.cursor))
        return describe_view(view) + self.overlay_absent()

    def overlay_absent(self) -> str:
        """With the overlay zoomed, the trainers it leaves out, for the view's notification: by
        iteration the range is the leader's last 10% or 1%, where those behind have no point."""
        missing = self.overlay.absent() if self.has_class("-overlay") and self.view.span < 1 else []
        if not missing:
            return ""
        if self.view.by_time:
            return f"; nothing from {', '.join(missing)} in this range"
        return f"; {', '.join(missing)} not this far yet (x: by wall time shows every trainer)"

    def cursor_plot(self) -> LossPlot:
        """The plot the cursor keys move on: the overlay, the focused panel's, or the first's."""
        if self.has_class("-overlay"):
            return self.overlay
        focused = self.app.focused
        if isinstance(focused, TrainerPanel):
            return focused.plot
        first = self.panels()[0]
        first.focus()
        return first.plot

    def move_cursor(self, step: int) -> str:
        """Shows the cursor at the right end, or moves it a step; past the right end it goes."""
        plot = self.cursor_plot()
        cursor = plot.view.cursor
        if cursor is None:
            moved: float | None = 1.0
        else:
            moved = round(cursor + step * CURSOR_STEP, 6)
            moved = None if moved > 1 else max(0.0, moved)
        plot.show(view=replace(plot.view, cursor=moved))
        if cursor is None:
            return ", and . move the cursor; past the right end it goes"
        return "cursor hidden" if moved is None else ""

    def repaint(self) -> None:
        """A few times a second: redraw what changed and is shown."""
        for panel in self.panels():
            panel.repaint()
        if self.has_class("-overlay"):
            curves = self.overlay_curves()  # a sweep's best member may be another one now
            if [curve.series for curve in curves] != [
                curve.series for curve in self.overlay.curves
            ]:
                self.overlay.show(curves)
            self.overlay.repaint_if_changed()
        if self.has_class("-equivalence"):
            self.equivalence.show_report(self.equivalence_report())

    def equivalence_report(self) -> Report:
        """Each trainer against numpy (member by member in a sweep)."""
        families = self.families()
        if families:
            member_logs = {name: family.logs for name, family in families.items()}
            diverged = {name: family.diverged() for name, family in families.items()}
            member_broken = [
                {name: int(family.done[k]) for name, family in families.items()
                 if diverged[name][k]}
                for k in range(self.config.member_count)
            ]  # fmt: skip
            return family_equivalence(self.config, member_logs, member_broken)
        logs = {panel.trainer: panel.loss_log for panel in self.panels()}
        broken = {panel.trainer: panel.done for panel in self.panels() if panel.state in ALARMS}
        return equivalence(self.config, logs, broken)


def sweep_members(config: RunConfig) -> list[Member] | None:
    """A sweep's members, in grid order; None without a sweep."""
    return members(config) if config.sweep else None


def describe_view(view: PlotView) -> str:
    """The view in a few words, for a notification."""
    scale = "log" if view.log_scale else "linear"
    axis = "by wall time" if view.by_time else "by iteration"
    smoothing = f"smoothing {view.smoothing:g}" if view.smoothing else "no smoothing"
    whole = "the time" if view.by_time else "iterations"
    shown = f"all {whole}" if view.span == 1 else f"the last {view.span:.0%} of {whole}"
    return f"{scale} y, {axis}, {smoothing}, {shown}"
