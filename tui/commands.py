"""Provides the dashboard's keys and the command palette's entries, from one table."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from textual.binding import Binding, BindingType
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

from engine.config import ConfigError

# (key, action, title: the footer's and the palette's, palette help: "" keeps it off the palette)
# fmt: off
ACTIONS = [
    ("space", "toggle_pause", "Pause/resume", "Pause every trainer, or resume them"),
    ("n", "step", "Step", "Advance every trainer one iteration"),
    ("r", "restart", "Restart", "Restart every trainer from iteration 0"),
    ("p", "toggle_pause_focused", "Pause one", "Pause or resume the focused panel's trainer"),
    ("R", "restart_focused", "Restart one", "Restart the focused panel's trainer alone"),
    ("c", "controls", "Controls", "Sizes, iterations, seed, dtype, learning rates"),
    ("d", "devices", "Device", "Move the torch trainers to another device"),
    ("o", "view('overlay')", "Overlay", "All trainers' curves in one plot, or one each"),
    ("s", "view('smoothing')", "Smoothing", "Cycle smoothing: off, 0.6, 0.9, 0.99"),
    ("x", "view('x')", "x: iteration/time", "Plot loss by iteration or by wall time"),
    ("l", "view('log')", "Log/linear", "Switch the plots' y scale"),
    ("z", "view('zoom')", "Zoom", "Show all of the x range, its last 10% or its last 1%"),
    ("comma", "view('cursor_left')", "Cursor left", "Cursor on the focused plot, a step left"),
    ("full_stop", "view('cursor_right')", "Cursor right", "A step right; past the end it goes"),
    ("m", "sweep_view", "Sweep view", "A sweep's final loss against the swept value, all trainers"),
    ("e", "view('equivalence')", "Equivalence", "Each trainer's loss against numpy's"),
    ("g", "gradcheck", "Gradient check", "Backward passes against finite differences"),
    ("v", "code", "Code", "Each trainer's step as source, side by side"),
    ("w", "export", "Export CSV and SVG", "The losses as CSV, the screen as SVG"),
    ("y", "command_line", "Command line", "The command that runs this again"),
    ("k", "save_weights", "Save weights", "Each trainer's weights as .npz, as --init-from reads"),
    ("i", "details", "Details", "The focused trainer's whole message and traceback"),
    ("left_square_bracket", "scale_lr(0.5)", "halve lr", ""),
    ("right_square_bracket", "scale_lr(2)", "double lr", ""),
    ("question_mark", "help", "Help", ""),
    ("q", "quit", "Quit", ""),
]
# fmt: on
FOOTER_ACTIONS = {
    "toggle_pause",
    "step",
    "restart",
    "controls",
    "view('overlay')",
    "view('smoothing')",
    "help",
    "quit",
}  # fmt: skip
TRAINING_ACTIONS = {"toggle_pause", "step", "restart", "controls", "devices", "scale_lr",
                    "toggle_pause_focused", "restart_focused", "save_weights"}  # fmt: skip


def binding_id(action: str) -> str:
    """The id a user's keymap names an action by: view('log') is view-log, scale_lr(2) double-lr."""
    name, _, argument = action.rstrip(")").partition("(")
    if name == "scale_lr":
        return "halve-lr" if argument == "0.5" else "double-lr"
    return "-".join(part for part in (name, argument.strip("'")) if part).replace("_", "-")


BINDINGS: list[BindingType] = [
    *(
        Binding(key, action, title, show=action in FOOTER_ACTIONS, id=binding_id(action))
        for key, action, title, _ in ACTIONS
    ),
    Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-ctrl-c"),
    Binding("right,down", "app.focus_next", "Next panel", show=False, id="focus-next"),
    Binding("left,up", "app.focus_previous", "Previous panel", show=False, id="focus-previous"),
]

IDS = [binding.id for binding in BINDINGS if isinstance(binding, Binding) and binding.id]


def keymap(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """--key ID=KEYS pairs as Textual's keymap (binding id to keys), unknown ids refused.

    Raises:
        ConfigError: an id that no binding has, with the ones accepted.
    """
    for binding_id, keys in pairs:
        if binding_id not in IDS:
            raise ConfigError(f"--key: no action has the id {binding_id!r}; accepted: "
                              f"{', '.join(IDS)}")  # fmt: skip
        for key in keys.split(","):
            if not is_key(key.strip()):
                raise ConfigError(
                    f"--key {binding_id}={keys}: {key.strip()!r} is not a key; "
                    "accepted e.g. q, R, f5, ctrl+q, space, escape, plus"
                )
    return dict(pairs)


MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
NAMED_KEYS = {key.value.rpartition("+")[2] for key in Keys}  # escape, f5, up, tab, ...
NAMED_KEYS |= set(KEY_NAME_REPLACEMENTS.values())  # plus, minus, slash: what Textual calls them
with contextlib.suppress(ImportError):  # the kitty protocol's keys (pause, menu, f25...)
    from textual._keyboard_protocol import FUNCTIONAL_KEYS

    NAMED_KEYS |= set(FUNCTIONAL_KEYS.values())


def is_key(name: str) -> bool:
    """Whether Textual names a key so: a character, or a key's name, after any modifiers."""
    *modifiers, key = name.split("+")
    if not key or not MODIFIERS.issuperset(modifiers):
        return False
    if len(key) == 1 or key in NAMED_KEYS:
        return True  # a character's other name (left_square_bracket, not plus_sign) is taken too
    return key not in KEY_NAME_REPLACEMENTS and key_to_character(key) is not None


def remapped(bindings: list[BindingType], keys: dict[str, str]) -> list[BindingType]:
    """The bindings with the keys a keymap gives them, for the help screen to list."""
    return [
        replace(binding, key=keys[binding.id])
        if isinstance(binding, Binding) and binding.id in keys
        else binding
        for binding in bindings
    ]


DETAILS = {action: help_text for _, action, _, help_text in ACTIONS}
PALETTE = [(title, help_text, action) for _, action, title, help_text in ACTIONS if help_text]
