"""Provides the generic text dialog: a title and a text to read and select."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.screens.kept import KeptScreen


class TextScreen(KeptScreen[None]):
    """A title and a text the user can read and select; escape or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    DIALOG_CLASSES = ""  # a kind of text dialog its styles tell apart (app.tcss)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-dialog", classes=self.DIALOG_CLASSES):  # a long one scrolls
            yield Static(self.title_text, id="text-title")
            yield Static(self.body(), id="text-body", markup=False)

    def body(self) -> RenderableType:
        """What the dialog shows under its title: the text, as it is."""
        return self.text

    def on_screen_resume(self) -> None:
        self.query_one(VerticalScroll).scroll_home(animate=False)  # a reused one opens at the top

    def action_close(self) -> None:
        self.dismiss(None)
