"""Provides the dashboard's footer: Textual's, recomposed only when the keys it shows change."""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer, minus the recompose on every refresh of the screen's bindings.

    Textual rebuilds the footer's keys whenever the screen refreshes its bindings, which it does
    each time a dialog opens or closes: a dozen widgets composed, styled and laid out in the
    frame that closes the dialog, for the same keys, and each old key left bound to the footer,
    never freed (Textualize/textual#6666).
    """

    shown: tuple[object, ...] | None = None  # the keys of the last compose

    def keys(self) -> tuple[object, ...]:
        """What the footer would show: each binding as the screen has it now, and the palette."""
        bindings = tuple(
            (binding.key, binding.key_display, binding.description, binding.action, binding.show,
             binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )  # fmt: skip
        return (bindings, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE)

    async def recompose(self) -> None:
        keys = self.keys()
        if keys != self.shown:
            self.shown = keys
            await super().recompose()
