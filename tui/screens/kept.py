"""Provides KeptScreen: a dialog the app builds once and opens again and again."""

from __future__ import annotations

from typing import TypeVar

from textual import events, on
from textual.screen import ModalScreen

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
