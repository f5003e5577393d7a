"""Provides KeptScreen: a dialog the app builds once and opens again and again."""

from __future__ import annotations

import contextlib
from typing import TypeVar

from textual import events, on
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static

ResultType = TypeVar("ResultType")


class KeptScreen(ModalScreen[ResultType]):
    """A dialog restyled as it opens only when the theme changed since it was last styled.

    Textual restyles every widget of a screen each time it is pushed (~15 ms for the controls'
    fifty); a dialog kept between openings (install_screen) already has its styles.
    """

    styled_theme = ""  # the app's theme when the styles were last applied

    @on(events.ScreenResume)
    def restyle_if_the_theme_changed(self, event: events.ScreenResume) -> None:
        # runs before Screen's own handler (nearer in the MRO), which reads the flag
        event.refresh_styles = self.app.theme != self.styled_theme
        self.styled_theme = self.app.theme

    def warm(self, size: Size) -> None:
        """Lays the built dialog out at size and renders its widgets, without drawing it, as
        its first opening would (that took the controls 40-50 ms more than later openings).

        Textual has no public call for either; on a Textual without these two, the first
        opening does the work, as before.
        """
        with contextlib.suppress(AttributeError):
            self._refresh_layout(size)
            self._compositor.render_update(full=True)


def clear_line(line: Static) -> None:
    """Empties a dialog's message line as it opens; one already empty is left alone (an update
    lays the whole dialog out again, ~10 ms of the key's frame)."""
    if line.content:
        line.update("")
