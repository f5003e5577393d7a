"""Provides the web server behind `mlp-tui --serve`: textual-serve's, keeping every app it starts.

Each app leads a process group of its own (its fork server and trainers are in it), so a ctrl+c
at the server's terminal reaches the server alone; the server, on SIGINT, SIGTERM or SIGHUP, ends
each app as SIGTERM ends the dashboard (trainers stopped, run log complete), then whatever is left
of its group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from asyncio.subprocess import PIPE, Process

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

APP_GRACE_SECONDS = 10.0  # for an app to stop its trainers and exit once told to
GROUP_GRACE_SECONDS = 3.0  # for its fork server and resource tracker to follow it
RUNNING: set[Process] = set()  # the apps of this server, while they run


class GroupLeaderService(AppService):
    """textual-serve's app service, its app in a process group of its own and kept in RUNNING."""

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=PIPE,
            stdout=PIPE,
            stderr=PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        self._process, self._stdin = process, process.stdin
        RUNNING.add(process)
        return process

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            if self._process is not None:
                RUNNING.discard(self._process)


class DashboardServer(Server):
    """Serves the dashboard, one app per browser tab, and ends them all when it stops."""

    def __init__(self, command: str, host: str, port: int, url: str) -> None:
        super().__init__(command, host=host, port=port, title="mlp-tui")
        self.url = url

    def serve(self, debug: bool = False) -> None:
        """As textual-serve's: also stops on SIGHUP, logs no requests, and prints the URL once
        it listens (raises OSError when it can't)."""
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: ssh -t dropped
            loop.add_signal_handler(signum, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False,
                    loop=loop, access_log=None, print=self._say_listening)  # fmt: skip

    def _say_listening(self, _aiohttp_line: str) -> None:
        print(f"mlp-tui: the dashboard is at {self.url} (each browser tab runs its own app; "
              "ctrl+c stops them all)", flush=True)  # fmt: skip

    async def on_startup(self, app: web.Application) -> None:
        """Says nothing: serve() prints the URL once the port is open."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page's websocket goes back to the address the browser used, which differs from
        # ours behind `ssh -L 9000:localhost:8000`. No await between this and the page's render.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(end_app(process) for process in list(RUNNING)))


async def end_app(process: Process) -> None:
    """Ends one app as SIGTERM ends the dashboard, then anything left in its process group."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(asyncio.TimeoutError):  # TimeoutError from Python 3.11 on
        await asyncio.wait_for(process.wait(), APP_GRACE_SECONDS)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (GROUP_GRACE_SECONDS if process.returncode is not None else 0)
    with contextlib.suppress(ProcessLookupError):  # raised once the group is empty
        while loop.time() < deadline:
            os.killpg(process.pid, 0)
            await asyncio.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
