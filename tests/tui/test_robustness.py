"""The app survives what users throw at it: random text in every field, many starts and quits."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Input

from tests.tui.conftest import notifications, panels, small_app, wait_until
from tui.app import MlpApp
from tui.screens.controls import ControlsScreen

FIELDS = ["field-n", "field-d_in", "field-hidden", "field-d_out", "field-iters", "field-seed",
          "field-lr--numpy", "field-lr--torch-manual"]  # fmt: skip


async def type_and_apply(field_id: str, text: str) -> None:
    app = small_app(autostart=False, trainers=("numpy", "torch-manual"))
    shown = notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        before = app.config
        await pilot.press("c")
        # the first c composes the dialog: under load that can take more than the press waits
        await wait_until(pilot, lambda: bool(app.screen.query(f"#{field_id}")))
        field = app.screen.query_one(f"#{field_id}", Input)
        field.focus()
        field.clear()
        await pilot.press(*[char for char in text if char.isprintable()] or ["space"])
        valid = field.validate(field.value)
        await pilot.press("ctrl+s")
        if valid is not None and not valid.is_valid:
            assert isinstance(app.screen, ControlsScreen)  # refused, still open, nothing applied
            assert app.config is before
            await pilot.press("escape")
        else:  # applied: the dialog closed, the value is the run's, and the user was told
            assert not isinstance(app.screen, ControlsScreen)
            assert any(message.startswith("applied") for message in shown)
            assert str(applied(app, field_id)) == str(typed(field_id, field.value))
        assert app.is_running
        await pilot.press("q")


def applied(app: MlpApp, field_id: str) -> object:
    key = field_id.removeprefix("field-")
    if key.startswith("lr--"):
        return app.config.spec(key.removeprefix("lr--")).lr
    return getattr(app.config, key)


def typed(field_id: str, text: str) -> object:
    return float(text) if field_id.startswith("field-lr") else int(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_id=st.sampled_from(FIELDS), text=st.text(min_size=1, max_size=12))
def test_random_text_in_any_field_never_crashes_nor_applies_bad_values(
    field_id: str, text: str
) -> None:
    asyncio.run(type_and_apply(field_id, text))


async def start_train_quit() -> None:
    app = small_app(iters=10**7, trainers=("numpy", "torch-manual"))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        await pilot.press("q")


async def test_fifty_starts_and_quits_leave_no_thread_or_process_behind() -> None:
    threads_before = threading.active_count()
    for _ in range(50):
        await start_train_quit()
        assert multiprocessing.active_children() == []
    assert threading.active_count() <= threads_before
