"""Provides the code view: each trainer's step as source from engine/, side by side."""

from __future__ import annotations

from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from engine.source import step_source


class CodeScreen(Screen[None]):
    """Forward, loss, backward and update of each trainer, syntax highlighted; escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,v", "close", "Close")]

    def __init__(self, trainers: tuple[str, ...]) -> None:
        super().__init__()
        self.trainers = trainers

    def compose(self) -> ComposeResult:
        with HorizontalScroll(id="code"):
            for name in self.trainers:
                column = VerticalScroll(classes="code-column")
                column.border_title = name
                with column:
                    yield Static(Syntax(step_source(name), "python", theme="monokai"),
                                 classes="code-source")  # fmt: skip
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
