"""`mlp-tui --help` shows its flags in groups; `mlp-tui --version` prints the package's version."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError
from pathlib import Path
from unittest.mock import Mock

import pytest

from engine import flags as cli_flags
from engine.runspec import tomllib
from tui.main import main

GROUPS = {
    "run": ["--trainers", "--iters", "--lr", "--optimizer", "--init", "--no-bias", "--same-start",
            "--dtype", "--device", "--graphs", "--matmul-precision", "--workers", "--sweep",
            "--config"],
    "data": ["--n", "--d-in", "--hidden", "--d-out", "--seed", "--init-seed", "--init-scale",
             "--init-from"],
    "output": ["--log-every", "--jsonl", "--log-dir", "--no-log", "--tensorboard",
               "--save-weights"],
    "display": ["--headless", "--replay", "--compare", "--gradcheck", "--quiet", "--key"],
    "web": ["--serve", "--host", "--port"],
}  # fmt: skip


def printed(capsys, *args: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 0
    return str(capsys.readouterr().out)


@pytest.mark.parametrize("installed", [True, False])
def test_version_prints_the_version_of_the_package(capsys, monkeypatch, installed: bool) -> None:  # type: ignore[no-untyped-def]
    """Installed or not (a checkout on PYTHONPATH, as on a GPU machine without network)."""
    if not installed:
        monkeypatch.setattr(cli_flags, "version", Mock(side_effect=PackageNotFoundError("mlp-tui")))
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert printed(capsys, "--version") == f"mlp-tui {project['version']}\n"


def test_help_shows_each_group_with_its_flags_and_their_defaults(capsys) -> None:  # type: ignore[no-untyped-def]
    text = printed(capsys, "--help")
    headings = re.findall(r"^(\w+):$", text, flags=re.MULTILINE)
    assert headings == ["options", *GROUPS], text
    sections = dict(zip(headings, re.split(r"^\w+:$", text, flags=re.MULTILINE)[1:], strict=True))
    for group, flags in GROUPS.items():
        shown = re.findall(r"^  (--[\w-]+)", sections[group], flags=re.MULTILINE)
        assert shown == flags, sections[group]
    words = " ".join(text.split())
    for default in ("iterations per trainer (1000)", "batch size N (64)", "logs go (runs/)",
                    "address to listen on with --serve (127.0.0.1)", "(8000)"):  # fmt: skip
        assert default in words, default
