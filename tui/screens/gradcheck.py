"""Provides the gradient check screen: each backward pass against finite differences, live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.config import RunConfig
from engine.gradcheck import check_gradients
from engine.gradrows import HEADER, PASS_BELOW, GradRow


def rows_table(rows: list[GradRow], colours: dict[str, str]) -> Table:
    """The check's rows as a table, pass and FAIL in the theme's success and error colours."""
    table = Table(box=None, padding=(0, 1, 0, 0))
    for heading in HEADER:
        table.add_column(heading, no_wrap=True)
    for row in rows:
        *cells, result = row.cells()
        style = colours["success"] if row.passed else f"bold {colours['error']}"
        table.add_row(*cells, Text(result, style))
    return table


class GradcheckScreen(ModalScreen[None]):
    """Runs the check in a worker thread (it imports torch) and shows the result."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,g", "close", "Close")]

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config
        self.rows: list[GradRow] | None = None
        self.result = Static("checking the backward passes in float64…", id="gradcheck-result")

    def compose(self) -> ComposeResult:
        sizes = f"n={self.config.n} d_in={self.config.d_in} hidden={self.config.hidden} " \
                f"d_out={self.config.d_out}"  # fmt: skip
        with Vertical(id="gradcheck"):
            yield Static(f"Gradient check · {sizes} · float64 · {self.config.device}",
                         id="gradcheck-title")  # fmt: skip
            yield self.result
            yield Static(f"finite differences pass below a relative error of {PASS_BELOW:g}; "
                         "large parameters are checked at 100 sampled entries. "
                         "Also: mlp-tui --gradcheck", id="gradcheck-note")  # fmt: skip

    def on_mount(self) -> None:
        self.run_check()

    @dataclass
    class Checked(Message):
        """The check's rows, or why it could not run."""

        rows: list[GradRow]
        error: str = ""

    @work(thread=True, exclusive=True, group="gradcheck")
    def run_check(self) -> None:
        try:
            self.post_message(self.Checked(check_gradients(self.config)))
        except Exception as error:  # a device that fails, say: shown, never fatal
            self.post_message(self.Checked([], f"the check could not run: {error}"))

    def on_gradcheck_screen_checked(self, message: Checked) -> None:
        self.rows = message.rows
        colours = self.app.theme_variables
        self.result.update(
            Text(message.error, colours["error"])
            if message.error
            else rows_table(message.rows, colours)
        )

    def action_close(self) -> None:
        self.dismiss(None)
