"""Provides BorderedPanel: a container whose border text changes repaint the border rows alone.

Textual repaints a widget's whole region each time its border title or subtitle is set, changed
or not. For a trainer's panel that is every cell of its plot too: a panel's progress in its
subtitle, set twice a second, sent all four panels to the terminal (19 kB a frame, ~43 kB/s
over SSH), and a pause key's frame waited for it.
"""

from __future__ import annotations

from typing import Any, Self

from textual.containers import Vertical
from textual.geometry import Region


class BorderedPanel(Vertical):
    """A Vertical whose title and subtitle are set through set_border_text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_border = ("", "")  # the title and subtitle last set
        self.border_rows: tuple[Region, ...] = ()  # what a border text's refresh repaints

    def set_border_text(self, title: str, subtitle: str) -> None:
        """Sets the title and subtitle (markup); only a row whose text changed is repainted."""
        old_title, old_subtitle = self.shown_border
        width, height = self.outer_size
        x, y = self.content_offset  # refresh's regions are relative to the content
        texts = (("border_title", 0, old_title, title),
                 ("border_subtitle", height - 1, old_subtitle, subtitle))  # fmt: skip
        for name, row, old, new in texts:
            if old == new:
                continue
            self.border_rows = (Region(-x, row - y, width, 1),) if height else ()
            try:
                setattr(self, name, new)
            finally:
                self.border_rows = ()
        self.shown_border = (title, subtitle)  # once set: text that failed is tried again

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        # a border text's setter refreshes the whole widget: only its row, when it is ours
        regions = regions or self.border_rows
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
