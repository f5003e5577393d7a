"""--key ID=KEYS gives an action the user's keys (Textual's keymap); a wrong id is bad input."""

from __future__ import annotations

import re

import pytest

from engine.config import RunConfig, validate
from tests.checkout import ROOT
from tests.tui.conftest import SMALL, panels, wait_until
from tui.app import MlpApp
from tui.commands import IDS
from tui.main import main


async def test_a_remapped_key_pauses_every_trainer() -> None:
    config = validate(RunConfig(**SMALL, iters=10**7, trainers=("numpy",)))  # type: ignore[arg-type]
    app = MlpApp(config, None, "thread", keymap={"toggle-pause": "f5"})
    async with app.run_test(size=(120, 36)) as pilot:
        panel = panels(app)["numpy"]
        await wait_until(pilot, lambda: panel.done > 5)
        await pilot.press("f5")
        await wait_until(pilot, lambda: panel.state == "paused")
        assert app.active_bindings["f5"].binding.id == "toggle-pause"  # the footer shows f5
        await pilot.press("question_mark")
        assert any(line.startswith("f5 ") and "Pause/resume" in line
                   for line in app.screen.text.splitlines())  # type: ignore[attr-defined]  # fmt: skip
        await pilot.press("escape")
        await pilot.press("q")


def test_an_unknown_binding_id_is_bad_input_with_the_ids_accepted(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = main(["--headless", "--no-log", "--key", "pause-all=f5", "--log-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "'pause-all'" in err and "toggle-pause" in err


def test_the_readme_lists_every_id_that_key_accepts() -> None:
    """--help sends users to the README for the ids; every one taken should be listed there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = next(part for part in readme.split("\n\n") if "`--key ID=KEYS`" in part)
    listed = re.findall(r"`([a-z-]+)`", paragraph.partition("gives that action other keys")[2])
    assert sorted(set(listed) & set(IDS)) == sorted(IDS)


@pytest.mark.parametrize("keys", ["notakey", "ctrl+", "hyperspace+q", "q,notakey", "plus_sign"])
def test_a_key_textual_does_not_name_is_bad_input(capsys, tmp_path, keys: str) -> None:  # type: ignore[no-untyped-def]
    """Else the action would have no key at all: `quit=notakey` left only ctrl+c to quit."""
    code = main(["--no-log", "--key", f"quit={keys}", "--log-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is not a key; accepted e.g. q, R, f5" in err
    assert list(tmp_path.iterdir()) == []


def test_keys_as_textual_names_them_are_taken(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    keys = "q,ctrl+q,f5,escape,space,plus,left_square_bracket,ctrl+shift+up,shift+tab,R,pause,f25"
    code = main(["--headless", "--no-log", "--iters", "2", "--n", "4", "--d-in", "4", "--hidden",
                 "4", "--d-out", "2", "--trainers", "numpy", "--key", f"quit={keys}"])  # fmt: skip
    assert (code, capsys.readouterr().err) == (0, "")
