"""The footer: the dashboard's keys, the same after each dialog, and no old keys kept alive."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from tests.tui.conftest import small_app
from tui.app import MlpApp


def footer_keys(app: MlpApp) -> list[tuple[str, str]]:
    return [(key.key, key.description) for key in app.screen_stack[0].query(FooterKey)]


def footer_keys_in_memory() -> int:
    gc.collect()
    return sum(isinstance(thing, FooterKey) for thing in gc.get_objects())


async def test_the_footer_shows_the_same_keys_after_each_dialog_and_keeps_no_old_ones() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        shown = footer_keys(app)
        assert ("space", "Pause/resume") in shown and ("q", "Quit") in shown
        for _ in range(2):  # every dialog built once
            await pilot.press("c", "escape", "question_mark", "escape", "d", "escape")
        kept = footer_keys_in_memory()
        for _ in range(5):
            await pilot.press("c", "escape", "question_mark", "escape", "d", "escape")
            await pilot.pause()
            assert footer_keys(app) == shown
        assert footer_keys_in_memory() == kept
        await pilot.press("q")
