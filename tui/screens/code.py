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
    """Forward, loss, backward and update of each trainer, syntax highlighted; escape closes it.

    Left and right focus another trainer's column and bring it into view (a narrow terminal
    shows one or two); up and down scroll the focused one.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,v", "close", "Close"),
        Binding("right,tab", "focus_column(1)", "Next trainer", priority=True),
        Binding("left,shift+tab", "focus_column(-1)", "Previous trainer", priority=True),
        Binding("down", "scroll_column(1)", "Scroll", show=False, priority=True),
        Binding("up", "scroll_column(-1)", "Scroll", show=False, priority=True),
    ]

    def __init__(self, trainers: tuple[str, ...]) -> None:
        super().__init__()
        self.trainers = trainers

    def compose(self) -> ComposeResult:
        with HorizontalScroll(id="code", can_focus=False):  # left, right: focus a column
            for name in self.trainers:
                column = VerticalScroll(classes="code-column")
                column.border_title = name
                with column:
                    source = Syntax(step_source(name), "python", theme="monokai", word_wrap=True)
                    yield Static(source, classes="code-source")
        yield Footer()

    def on_mount(self) -> None:
        self.query(".code-column").first().focus()  # up and down scroll it at once

    def action_focus_column(self, step: int) -> None:
        columns = list(self.query(".code-column"))
        now = columns.index(self.focused) if self.focused in columns else 0
        column = columns[(now + step) % len(columns)]
        column.focus()
        self.query_one("#code").scroll_to_widget(column, animate=False)

    def action_scroll_column(self, lines: int) -> None:
        if self.focused is not None:
            self.focused.scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
