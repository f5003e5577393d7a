"""Provides the help screen: every key and what it does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from textual.binding import Binding, BindingType

from tui.screens.text import TextScreen

KEY_NAMES = {"left_square_bracket": "[", "right_square_bracket": "]", "question_mark": "?",
             "comma": ",", "full_stop": "."}  # fmt: skip
EXTRA_KEYS = [
    ("tab / shift+tab", "next / previous panel"),
    ("ctrl+p", "command palette: the main actions by name"),
    ("escape", "close a dialog without changing anything"),
]


def key_lines(bindings: Iterable[BindingType], details: dict[str, str]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding with a description, and details by action."""
    lines = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            keys = binding.key
            for name, shown in KEY_NAMES.items():
                keys = keys.replace(name, shown)
            detail = details.get(binding.action, "")
            what = f"{binding.description}: {detail}" if detail else binding.description
            lines.append((keys, what))
    return lines + EXTRA_KEYS


class HelpScreen(TextScreen):
    """Lists the keys; any of escape, q or ? closes it. What a key does wraps under itself where
    the terminal is narrow (80 columns), rather than running off the dialog's edge."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("question_mark", "close", "Close")]
    DIALOG_CLASSES = "-keys"

    def __init__(self, bindings: Iterable[BindingType], details: dict[str, str]) -> None:
        self.lines = key_lines(bindings, details)
        width = max(len(keys) for keys, _ in self.lines)
        super().__init__("Keys", "\n".join(f"{keys:<{width}}  {what}" for keys, what in self.lines))

    def body(self) -> RenderableType:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for keys, what in self.lines:
            table.add_row(keys, what)
        return table
