"""`mlp-tui --serve` serves the dashboard to a browser, one app per tab, and ends them all."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from engine.flags import build_parser
from tests.tui import browser
from tui.main import main
from tui.serve import served_argv

SMALL = ["--n", "8", "--d-in", "12", "--hidden", "9", "--d-out", "5"]
NAMES = ("numpy", "torch-manual", "torch-autograd", "torch-optim")
# Skipped where there is no browser, but not in CI, which installs one (.ci/run).
needs_chromium = pytest.mark.skipif(
    bool(browser.missing()) and not os.environ.get("CI"), reason=browser.missing()
)
# The optional [web] extra, in the [dev] one: skipped where it is missing (a GPU machine given
# only the wheels it lacks), but not in CI, which installs it.
needs_textual_serve = pytest.mark.skipif(
    importlib.util.find_spec("textual_serve") is None and not os.environ.get("CI"),
    reason="no textual_serve (pip install -e '.[web]')",
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--serve", "--headless"], "leave out --headless"),
        (["--serve", "--gradcheck"], "leave out --headless and --gradcheck"),
        (["--serve", "--port", "0"], "0 is not a port; accepted: 1 to 65535"),
        (["--serve", "--port", "70000"], "70000 is not a port; accepted: 1 to 65535"),
        (["--serve", "--port", "http"], "expected a whole number, got 'http'"),
        (["--port", "8000"], "--host and --port go with --serve"),
        (["--serve", "--jsonl", "-"], "leave out --jsonl"),
        pytest.param(
            ["--serve", "--host", "a..b"],
            "--host 'a..b' does not resolve here",
            marks=needs_textual_serve,
        ),
    ],
)
def test_bad_serve_flags_exit_2_with_one_line_and_create_nothing(  # type: ignore[no-untyped-def]
    capsys, monkeypatch, tmp_path, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []  # no run log, nothing


def test_serve_without_textual_serve_says_how_to_install_it(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # as if it were not installed
    assert main(["--serve"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "mlp-tui: error: --serve needs textual-serve: pip install 'mlp-tui[web]' "
        "(in a checkout: pip install -e '.[web]')\n"
    )


def test_each_tab_runs_the_app_with_the_flags_minus_serve_host_and_port() -> None:
    argv = ["--serve", "--ho", "localhost", "--port=9000", "--iters", "5", "--lr", "numpy=1e-3"]
    assert served_argv(argv, build_parser()) == ["--iters", "5", "--lr", "numpy=1e-3"]
    assert served_argv(["--po", "9000", "--ser", "--no-log"], build_parser()) == ["--no-log"]


@needs_textual_serve
def test_a_host_that_is_not_loopback_is_served_with_a_warning(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tui.web_server import DashboardServer

    served: list[DashboardServer] = []
    monkeypatch.setattr(DashboardServer, "serve", lambda self: served.append(self))
    assert main(["--serve", "--host", "0.0.0.0", "--port", "9000", "--iters", "5"]) == 0
    assert "warning: --host 0.0.0.0 is not a loopback address" in capsys.readouterr().err
    assert served[0].command == f"exec {sys.executable} -m tui.main --iters 5"
    assert main(["--serve", "--host", "localhost", "--no-log"]) == 0
    assert capsys.readouterr().err == ""
    assert served[1].command == f"exec {sys.executable} -m tui.main --no-log"


@needs_textual_serve
def test_a_port_in_use_exits_2_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "tui.main", "--serve", "--port", str(port)]
        done = subprocess.run(command, cwd=browser.ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        f"mlp-tui: error: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "pick another --port or --host\n"
    )
    assert done.stdout == ""  # no URL for a server that never listened


def stopped_records(log_dir: Path) -> list[dict[str, object]]:
    """The `stopped` records of every run log under log_dir."""
    records = [json.loads(line) for path in log_dir.glob("*/losses.jsonl")
               for line in path.read_text().splitlines()]  # fmt: skip
    return [record for record in records if record.get("event") == "stopped"]


def apps_in(tree: dict[int, str]) -> list[str]:
    """The command lines of the apps in a process tree."""
    return [command for command in tree.values() if "tui.main" in command]


@needs_chromium
def test_the_page_shows_the_dashboard_and_sigterm_ends_every_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    flags = [*SMALL, "--iters", "1000000", "--log-dir", str(tmp_path)]
    with browser.served(*flags) as (server, url), browser.chromium() as page:
        browser.open_page(page, url)
        browser.wait_for_text(page, *NAMES)
        text = browser.wait_for("every trainer running", lambda: (
            t if (t := browser.screen_text(page)).count("running") == 4 else None))  # fmt: skip
        pixels = browser.screenshot_pixels(page, page.get_screenshot_as_png())
        assert pixels["width"] >= 1000 and pixels["colours"] >= 16, pixels
        assert pixels["unlike_background"] > 0.05, pixels
        # the app, and the processes its trainers compute in
        tree = browser.process_tree(server.pid)
        apps = apps_in(tree)
        assert len(apps) == 1 and len(tree) >= 5, tree
        assert "--serve" not in apps[0] and "--port" not in apps[0] and "--iters 1000000" in apps[0]

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=browser.WAIT_SECONDS) == 0
        assert browser.alive(tree) == {}
        browser.wait_for("the page to say the session ended", lambda: page.execute_script(
            "return document.body.classList.contains('-closed')"))  # fmt: skip
    stopped = stopped_records(tmp_path)  # the app stopped its trainers as on q: the log is whole
    assert sorted(str(record["trainer"]) for record in stopped) == sorted(NAMES), text
    assert all(int(str(record["iters"])) > 0 for record in stopped), stopped


@needs_chromium
def test_each_tab_gets_its_own_app_closing_one_ends_it_and_ctrl_c_ends_all(tmp_path) -> None:  # type: ignore[no-untyped-def]
    flags = [*SMALL, "--iters", "1000000", "--trainers", "numpy,torch-manual"]
    flags += ["--log-dir", str(tmp_path)]
    with browser.served(*flags) as (server, url), browser.chromium() as page:
        for tab in range(2):
            if tab:
                page.switch_to.new_window("tab")
            browser.open_page(page, url)
            browser.wait_for_text(page, "numpy", "torch-manual")
        tree = browser.process_tree(server.pid)
        assert len(apps_in(browser.process_tree(server.pid))) == 2, tree
        assert len(list(tmp_path.glob("*/losses.jsonl"))) == 2  # a run log per tab

        page.close()  # the second tab
        page.switch_to.window(page.window_handles[0])
        browser.wait_for(
            "the closed tab's app to end",
            lambda: len(apps_in(browser.process_tree(server.pid))) == 1,
        )
        assert "numpy" in browser.screen_text(page)  # the other tab's dashboard goes on

        os.killpg(server.pid, signal.SIGINT)  # ctrl+c: the terminal signals the server's group
        assert server.wait(timeout=browser.WAIT_SECONDS) == 0
        assert browser.alive(tree) == {}


@needs_textual_serve
async def test_an_app_that_ignores_sigterm_is_killed_with_its_whole_group(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tui import web_server

    monkeypatch.setattr(web_server, "APP_GRACE_SECONDS", 0.5)
    # an "app" that ignores SIGTERM, with a child that does too (as a stuck trainer would)
    stubborn = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    )
    child = f"{stubborn}time.sleep(600)"
    app = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"{stubborn}subprocess.Popen([sys.executable, '-c', {child!r}]); "
        "print(flush=True); time.sleep(600)", stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert app.stdout is not None
        await app.stdout.readline()  # its child is started
        tree = {app.pid: browser.command_of(app.pid), **browser.process_tree(app.pid)}
        assert len([c for c in tree.values() if "time.sleep(600)" in c]) == 2, tree
        await web_server.end_app(app)
        browser.wait_for("the app and its child gone", lambda: browser.alive(tree) == {})
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(app.pid, signal.SIGKILL)


def test_a_run_file_cannot_say_serve(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run_file = tmp_path / "run.toml"
    run_file.write_text("serve = true\n")  # each served app reads it too, and would serve again
    assert main(["--config", str(run_file)]) == 2
    assert "unknown key 'serve'" in capsys.readouterr().err
