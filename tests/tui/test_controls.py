"""The controls panel and the device selector: checked input, apply, refusals."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from engine.devices import DeviceInfo, list_devices
from tests.tui.conftest import notifications, panels, paused_app, small_app, wait_until
from tui.app import MlpApp
from tui.screens.controls import ControlsScreen
from tui.screens.devices import DeviceScreen, list_devices_apart


async def type_into(pilot: Pilot, app: MlpApp, field_id: str, text: str) -> None:
    field = app.screen.query_one(f"#{field_id}", Input)
    field.focus()
    field.clear()
    await pilot.press(*text)


def error_text(app: MlpApp, error_id: str) -> str:
    return str(app.screen.query_one(f"#{error_id}", Static).render())


async def test_apply_restarts_every_trainer_with_the_new_iterations() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, ControlsScreen)
        await type_into(pilot, app, "field-iters", "500")
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, ControlsScreen)
        assert app.config.iters == 500
        await wait_until(pilot, lambda: all(p.state == "done" for p in panels(app).values()))
        assert [p.done for p in panels(app).values()] == [500, 500]
        await pilot.press("q")


async def test_a_learning_rate_change_restarts_only_that_trainer() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(100, 30)) as pilot:
        numpy_panel, torch_panel = panels(app)["numpy"], panels(app)["torch-manual"]
        held_at = (await paused_app(pilot, app))["torch-manual"]
        await pilot.press("c")
        await type_into(pilot, app, "field-lr--numpy", "2e-6")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "lr 2e-06" in str(numpy_panel.border_title))
        await wait_until(pilot, lambda: (numpy_panel.state, numpy_panel.done) == ("paused", 1))
        assert (torch_panel.state, torch_panel.done) == ("paused", held_at)
        await pilot.press("q")


async def test_invalid_values_show_their_error_and_change_nothing() -> None:
    app = small_app(autostart=False, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(100, 30)) as pilot:
        before = app.config
        await pilot.press("c")
        await type_into(pilot, app, "field-n", "abc")
        assert "N (batch): must be a whole number above 0" in error_text(app, "controls-error")
        await type_into(pilot, app, "field-lr--torch-manual", "-1")
        assert "lr torch-manual: must be a finite number above 0" in error_text(
            app, "controls-error"
        )
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ControlsScreen)  # still open: nothing applied
        assert "Not applied" in error_text(app, "controls-error")
        await pilot.press("escape")
        assert app.config is before
        await pilot.press("q")


async def test_a_sweep_field_says_what_is_wrong_as_the_flag_does_and_applies_nothing() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("c")
        for typed, message in [
            ("foo=3", "sweep 1: 'foo' is not a sweep axis; accepted: lr, init-scale, seed"),
            ("lr=1e-6,1e-6", "sweep 1: 1e-06 is given twice; accepted: lr=V1,V2,... (each value"),
            ("lr=1e-4:1e-4:3", "sweep 1: a range A:B:K needs K >= 2 and A != B; accepted: "),
            ("lr=1e-7:1e-4:1", "sweep 1: a range A:B:K needs K >= 2 and A != B; accepted: "),
        ]:
            await type_into(pilot, app, "field-sweep--1", typed)
            assert error_text(app, "controls-error").startswith(message), typed
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, ControlsScreen)  # still open: nothing applied
            assert message.partition(": ")[2] in error_text(app, "controls-error")
        await pilot.press("escape")
        assert app.config.sweep == ()
        await pilot.press("q")


async def test_an_lr_typed_beside_an_lr_sweep_is_refused_not_dropped() -> None:
    """The sweep sets every trainer's lr: Apply had said "nothing changed" and dropped it."""
    app = small_app(autostart=False, trainers=("numpy",), sweep=(("lr", (1e-4, 1e-3)),))
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("c")
        await type_into(pilot, app, "field-lr--numpy", "0.5")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ControlsScreen)  # still open: nothing applied
        assert "lr numpy: the learning rate is swept" in error_text(app, "controls-error")
        await type_into(pilot, app, "field-sweep--1", "")  # no sweep: the lr is taken
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ControlsScreen))
        assert app.config.sweep == () and app.config.spec("numpy").lr == 0.5
        await pilot.press("q")


async def test_sizes_that_do_not_fit_in_memory_are_refused_before_allocating() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("c")
        await type_into(pilot, app, "field-n", "100000000")
        await type_into(pilot, app, "field-d_in", "1000000")
        await pilot.press("ctrl+s")
        assert "choose smaller sizes" in error_text(app, "controls-error")
        await pilot.press("escape")
        assert app.config.n == 8
        await pilot.press("q")


async def test_device_selector_lists_cpu_and_refuses_a_missing_device() -> None:
    app = small_app(autostart=False, trainers=("numpy", "torch-manual"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")
        assert isinstance(app.screen, DeviceScreen)
        await wait_until(pilot, lambda: app.devices is not None)  # listed in the background
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0].startswith("cpu: ") and "(current)" in labels[0]
        if not any(label.startswith("cuda") for label in labels):
            note = app.screen.query_one("#device-note", Static)
            assert "No CUDA device was found" in str(note.render())
        await type_into(pilot, app, "device-typed", "cuda:9")
        await pilot.press("enter")
        assert "not available" in error_text(app, "device-error")
        await pilot.press("escape")
        assert app.config.device == "cpu"
        await pilot.press("d")  # the same dialog again, as if new: nothing typed, no error
        assert app.screen.query_one("#device-typed", Input).value == ""
        assert error_text(app, "device-error") == ""
        assert app.focused is app.screen.query_one(OptionList)
        assert "(current)" in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.press("q")


def test_the_devices_a_child_process_lists_are_those_torch_lists_here() -> None:
    assert list_devices_apart() == list_devices()


async def test_a_device_that_vanished_is_refused_and_every_trainer_runs_on() -> None:
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    shown = notifications(app)
    # listed when the selector opened, gone by the time it is chosen (cuda:99 exists nowhere)
    ghost = [DeviceInfo("cpu", "CPU"), DeviceInfo("cuda:99", "Vanished GPU", 8 * 2**30)]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: all(p.done > 0 for p in panels(app).values()))
        app.devices = ghost  # as if torch had listed them
        app.push_screen(DeviceScreen(app.config.device, ghost), app.apply_device)
        await pilot.pause()
        app.screen.query_one(OptionList).highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("not moved to cuda:99" in text for text in shown))
        going = {name: panel.done for name, panel in panels(app).items()}
        await wait_until(pilot, lambda: all(p.done > going[n] for n, p in panels(app).items()))
        assert all(p.state == "running" for p in panels(app).values())
        assert "cpu" in str(panels(app)["torch-manual"].border_title)
        await pilot.press("q")


async def test_a_dialog_built_once_takes_a_theme_chosen_while_it_was_closed() -> None:
    app = small_app(autostart=False, trainers=("numpy",))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("c")
        dark = app.screen.query_one("#controls").styles.background
        await pilot.press("escape")
        app.theme = "textual-light"
        await pilot.press("c")
        light = app.screen.query_one("#controls").styles.background
        assert light != dark and light == app.current_theme.to_color_system().surface
        await pilot.press("escape", "q")


async def test_typing_in_the_device_list_types_a_device_and_the_current_one_changes_nothing() -> (
    None
):
    app = small_app(iters=10**6, trainers=("numpy", "torch-manual"))
    shown = notifications(app)
    async with app.run_test(size=(100, 30)) as pilot:
        app.devices = [DeviceInfo("cpu", "CPU")]  # as if torch had listed them
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DeviceScreen))
        await pilot.press("c", "p", "u")  # the list has focus: the field takes them
        assert app.screen.query_one("#device-typed", Input).value == "cpu"
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(shown))
        assert shown == ["the torch trainers run on cpu already: nothing changed"]
        assert not isinstance(app.screen, DeviceScreen)
        await pilot.press("q")


async def test_keys_sent_together_after_tab_go_to_the_next_field() -> None:
    """A terminal (or tmux send-keys, or a paste of keys) can hand `tab 5 5` to the app at once."""
    app = small_app(autostart=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ControlsScreen))
        for key, character in (("tab", "\t"), ("5", "5"), ("5", "5")):
            app.post_message(events.Key(key, character))  # as the driver posts one read's keys
        await wait_until(pilot, lambda: app.screen.query_one("#field-d_in", Input).value == "55")
        assert app.screen.query_one("#field-n", Input).value == "8"
        await pilot.press("escape", "q")
