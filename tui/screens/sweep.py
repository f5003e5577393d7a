"""Provides the sweep view (m): every trainer's final loss against the swept value on one plot,
and a table of each trainer's best member; redrawn every second while the sweep trains."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.sweep.spec import describe_values
from tui.widgets.family import Family
from tui.widgets.sweep_plot import (
    BEST_MARK,
    DIVERGED_MARK,
    SweepPlot,
    axis_title,
    sweep_line,
    x_axis,
)

REDRAW_SECONDS = 1.0
Families = Callable[[], dict[str, Family]]


class SweepScreen(ModalScreen[None]):
    """The sweep's picture: which values work, for every trainer; escape, q or m closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,m", "close", "Close")]

    def __init__(self, families: Families, smoothing: float) -> None:
        super().__init__()
        self.families, self.smoothing = families, smoothing
        self.plot = SweepPlot(id="sweep-plot")

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-dialog"):
            yield Static(id="sweep-title")
            yield self.plot
            yield Static(id="sweep-table")

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(REDRAW_SECONDS, self.redraw)

    def redraw(self) -> None:
        families = self.families()
        if not families:
            return
        first = next(iter(families.values()))
        smoothing = f", smoothed {self.smoothing:g}" if self.smoothing else ""
        where = "any seed" if x_axis(first)[1] == "seed" else "every member"
        self.query_one("#sweep-title", Static).update(
            f"Final loss{smoothing} against {axis_title(first)}: {BEST_MARK} each trainer's best,"
            f" {DIVERGED_MARK} where {where} diverged"
        )
        lines = [sweep_line(name, family, self.smoothing) for name, family in families.items()]
        self.plot.show(lines, log_x=x_axis(first)[0] != "seed")  # lr, init-scale: log-spaced
        self.query_one("#sweep-table", Static).update(best_table(families, self.smoothing))

    def action_close(self) -> None:
        self.dismiss(None)


def best_table(families: dict[str, Family], smoothing: float) -> Table:
    """Per trainer: members, how many diverged, the best member and its final loss."""
    table = Table(box=None, padding=(0, 1), expand=True)
    for heading in ("trainer", "members", "diverged", "best member", "final loss"):
        table.add_column(heading, no_wrap=True)
    for name, family in families.items():
        best = family.best(smoothing)
        described = "-" if best is None else f"#{best} {describe_values(family.members[best])}"
        loss = "-" if best is None else f"{family.final(smoothing)[best]:.4g}"
        table.add_row(name, str(len(family.members)), str(int(family.diverged().sum())),
                      described, loss)  # fmt: skip
    return table
