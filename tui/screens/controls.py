"""Provides the controls panel: shared settings and each trainer's learning rate, then Apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.validation import Function, Integer, ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from engine.config import DTYPES, OPTIMIZERS, ConfigError, RunConfig, check_lr
from engine.sweep.spec import AxisError, axis_text, parse_axis
from tui.screens.kept import KeptScreen, clear_line

SIZE_FIELDS = {"n": "N (batch)", "d_in": "D_in", "hidden": "H (hidden)", "d_out": "D_out",
               "iters": "iterations"}  # fmt: skip


def _is_lr(text: str) -> bool:
    try:
        check_lr("lr", text)
    except ConfigError:
        return False
    return True


LR_RULE = Function(_is_lr, "must be a finite number above 0, e.g. 1e-4")


class AxisRule(Validator):
    """A sweep field: empty for none, else what --sweep accepts; a failure says what is wrong."""

    def validate(self, value: str) -> ValidationResult:
        try:
            if value.strip():
                parse_axis(value.strip())
        except AxisError as error:
            return self.failure(error.problem)
        return self.success()


SWEEP_AXES = 2


@dataclass
class _Field:
    key: str
    label: str
    value: str
    validator: Validator


def _fields(config: RunConfig) -> list[_Field]:
    fields = [
        _Field(
            key,
            label,
            str(getattr(config, key)),
            Integer(minimum=1, failure_description="must be a whole number above 0"),
        )
        for key, label in SIZE_FIELDS.items()
    ]
    fields.append(
        _Field(
            "seed",
            "seed",
            str(config.seed),
            Integer(minimum=0, failure_description="must be a whole number, 0 or more"),
        )
    )
    for name in config.trainers:
        fields.append(_Field(f"lr:{name}", f"lr {name}", f"{config.spec(name).lr:g}", LR_RULE))
    axes = [axis_text(*axis) for axis in config.sweep] + [""] * SWEEP_AXES
    for number, text in enumerate(axes[:SWEEP_AXES], start=1):
        fields.append(_Field(f"sweep:{number}", f"sweep {number}", text, AxisRule()))
    return fields


class ControlsScreen(KeptScreen[RunConfig | None]):
    """Edits the run's settings; nothing changes until Apply, which restarts what it affects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
        # At the app's level, before the keys after it are handed to the field that has focus:
        # as a plain binding, "tab 5 5" arriving together typed 55 into the field left behind.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config
        self.fields = _fields(config)

    def compose(self) -> ComposeResult:
        with Vertical(id="controls"):
            yield Static("Controls — Apply restarts what a change affects", id="controls-title")
            with Grid(id="controls-grid"):
                for field in self.fields:
                    yield Label(field.label)
                    yield Input(
                        field.value,
                        id=_input_id(field.key),
                        validators=[field.validator],
                        compact=True,
                    )
                yield Label("dtype")
                yield Select(
                    [("numpy float64, torch float32", ""), *((d, d) for d in DTYPES)],
                    value=self.config.dtype or "",
                    allow_blank=False,
                    id="dtype",
                    compact=True,
                )
                yield Label("optimizer")
                yield Select(
                    [(o, o) for o in OPTIMIZERS],
                    value=self.config.optimizer,
                    allow_blank=False,
                    id="optimizer",
                    compact=True,
                )
                yield Label("matmul precision")
                yield Select(
                    [("highest (fp32)", "highest"), ("high (TF32 on CUDA)", "high")],
                    value=self.config.matmul_precision,
                    allow_blank=False,
                    id="matmul-precision",
                    compact=True,
                )
                yield Label("same start")
                yield Checkbox(
                    "identical weights and dtype",
                    self.config.same_start,
                    id="same-start",
                    compact=True,
                )
            yield Static("", id="controls-error")
            with Horizontal(id="controls-buttons"):
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_screen_resume(self) -> None:
        """Each time it opens: the current settings, no stale message, focus on the first field."""
        self.show_settings()
        clear_line(self.query_one("#controls-error", Static))
        self.query_one(Input).focus()

    def show_settings(self) -> None:
        """Puts self.config in every field (the screen is built once and reused)."""
        config = self.config
        for field in _fields(config):
            self.query_one(f"#{_input_id(field.key)}", Input).value = field.value
        self.query_one("#dtype", Select).value = config.dtype or ""
        self.query_one("#optimizer", Select).value = config.optimizer
        self.query_one("#matmul-precision", Select).value = config.matmul_precision
        self.query_one("#same-start", Checkbox).value = config.same_start

    def on_input_changed(self, event: Input.Changed) -> None:
        field = next(f for f in self.fields if _input_id(f.key) == event.input.id)
        self.show_validation(field, event.validation_result)

    def show_validation(self, field: _Field, result: ValidationResult | None) -> None:
        """Says what is wrong with the field just edited, or clears the message."""
        message = (
            "" if result is None or result.is_valid else "; ".join(result.failure_descriptions)
        )
        self.query_one("#controls-error", Static).update(
            f"{field.label}: {message}" if message else ""
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        try:
            config = self.read_config()
        except ConfigError as error:
            self.query_one("#controls-error", Static).update(f"Not applied: {error}")
            return
        self.dismiss(config)

    def read_config(self) -> RunConfig:
        """The settings as typed, validated; raises ConfigError naming the first bad field."""
        values: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#{_input_id(field.key)}", Input)
            result = widget.validate(widget.value)
            if result is not None and not result.is_valid:
                raise ConfigError(f"{field.label} {'; '.join(result.failure_descriptions)}")
            values[field.key] = widget.value.strip()
        sweep = tuple(parse_axis(values[f"sweep:{n}"]) for n in range(1, SWEEP_AXES + 1)
                      if values[f"sweep:{n}"])  # fmt: skip
        lr = {name: float(values[f"lr:{name}"]) for name in self.config.trainers}
        if any(name == "lr" for name, _ in sweep):  # the sweep sets every trainer's lr
            typed = [f.label for f in self.fields
                     if f.key[:3] == "lr:" and values[f.key] != f.value]  # fmt: skip
            if typed:  # it would be dropped: Apply said "nothing changed"
                raise ConfigError(f"{typed[0]}: the learning rate is swept, so the lr fields are "
                                  "not used; clear the lr sweep to set it")  # fmt: skip
            lr = {}
        changes = {key: int(values[key]) for key in (*SIZE_FIELDS, "seed")}
        dtype = self.query_one("#dtype", Select).value
        from engine.cli import with_device

        return with_device(self.config.with_changes(
            **changes, lr=lr, sweep=sweep, dtype=dtype or None,
            optimizer=self.query_one("#optimizer", Select).value,
            matmul_precision=self.query_one("#matmul-precision", Select).value,
            same_start=self.query_one("#same-start", Checkbox).value,
        ), running=self.config)  # fmt: skip


def _input_id(key: str) -> str:
    return "field-" + key.replace(":", "--")
