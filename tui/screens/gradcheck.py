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
from engine.gradcheck import PASS_BELOW, GradRow, check_gradients


def rows_table(rows: list[GradRow]) -> Table:
    """The check's rows as a table, pass in green and fail in red."""
    table = Table(box=None, padding=(0, 1, 0, 0))
    for heading in ("trainer", "param", "method", "entries", "rel error", "result"):
        table.add_column(heading, no_wrap=True)
    for row in rows:
        error = "-" if row.error is None else f"{row.error:.2e}"
        result = Text("pass", "green") if row.passed else Text("FAIL", "bold red")
        table.add_row(row.trainer, row.parameter, row.method, str(row.entries), error, result)
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
        self.result.update(
            Text(message.error, "red") if message.error else rows_table(message.rows)
        )

    def action_close(self) -> None:
        self.dismiss(None)
