"""Provides KeptScreen: a dialog the app builds as it starts and opens again and again."""

from __future__ import annotations

import asyncio
import gc
from typing import Any, TypeVar

from textual import events, on
from textual.app import App
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

        Its layouts as it was pushed came before its widgets were mounted; this one caches
        their sizes. Textual has no public call for either; on a Textual without these two,
        the first opening does the work, as before.
        """
        lay_out = getattr(self, "_refresh_layout", None)
        render = getattr(getattr(self, "_compositor", None), "render_update", None)
        if lay_out is not None and render is not None:
            lay_out(size)
            render(full=True)


def build_kept(app: App[Any], dialogs: dict[str, KeptScreen[Any]]) -> None:
    """Installs the dialogs under their names and builds them without drawing them: each is
    pushed and popped in one callback (no frame shows it), composes once it is mounted, and is
    then warmed, one per turn of the event loop, while the app goes on."""
    mounted = []
    for name, dialog in dialogs.items():
        app.install_screen(dialog, name)
        mounted.append(app.push_screen(name))
        app.pop_screen()

    async def warm_when_built() -> None:
        await asyncio.gather(*mounted)
        for dialog in dialogs.values():
            dialog.warm(app.size)
            await asyncio.sleep(0)
        # their widgets last as long as the app, as the dashboard's do (what else is alive
        # just then is kept too: a few of the trainers' messages, once)
        gc.freeze()

    app.run_worker(warm_when_built(), group="dialogs", exit_on_error=False)


def clear_line(line: Static) -> None:
    """Empties a dialog's message line as it opens; one already empty is left alone (an update
    lays the whole dialog out again, ~10 ms of the key's frame)."""
    if line.content:
        line.update("")
