"""Provides `mlp-tui --serve`: its checks, the command each browser tab runs, the server's start.

textual-serve runs that command once per browser connection, its stdin and stdout carrying the
page's terminal; tui/web_server.py keeps the apps it starts and ends them when it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import os
import shlex
import socket
import sys

from engine.config import ConfigError

INSTALL = "pip install 'mlp-tui[web]' (in a checkout: pip install -e '.[web]')"
WEB_FLAGS = {"--serve": 0, "--host": 1, "--port": 1}  # and how many values follow each


def check_serve(host: str, port: int) -> bool:
    """Checks --serve can start here; True when the host is a loopback address.

    Raises:
        ConfigError: textual-serve is missing, or the host is no address this machine resolves.
    """
    if importlib.util.find_spec("textual_serve") is None:
        raise ConfigError(f"--serve needs textual-serve: {INSTALL}")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ConfigError(
            f"--host {host!r} does not resolve here; accepted: this machine's address or name, "
            "e.g. 127.0.0.1 (the default)"
        ) from None
    return all(ipaddress.ip_address(address[4][0]).is_loopback for address in found)


def served_argv(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """The flags each tab's app gets: these, minus --serve, --host, --port (however abbreviated)."""
    flags = parser._option_string_actions
    kept: list[str] = []
    skip = 0
    for token in argv:
        if skip:
            skip -= 1
            continue
        name, equals, _ = token.partition("=")
        full = [flag for flag in flags if flag.startswith(name)] if name.startswith("--") else []
        flag = name if name in flags else (full[0] if len(full) == 1 else "")
        if flag in WEB_FLAGS:
            skip = 0 if equals else WEB_FLAGS[flag]
            continue
        kept.append(token)
    return kept


def page_url(host: str, port: int) -> str:
    """The address to open; for a wildcard host, this machine's name."""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:
            host = socket.gethostname()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(argv: list[str], host: str, port: int, loopback: bool) -> int:
    """Serves the dashboard until SIGINT, SIGTERM or SIGHUP; 2 when it cannot listen."""
    from textual_serve import server as textual_server

    from engine.flags import build_parser
    from tui.web_server import DashboardServer, GroupLeaderService

    if not loopback:
        warning = f"--host {host} is not a loopback address: whoever reaches port {port} there"
        print(f"mlp-tui: warning: {warning} can open the dashboard and train here", file=sys.stderr)
    # textual-serve builds one AppService per browser connection by this name: ours starts each
    # app in a process group of its own and keeps it, so that the server can end them all.
    textual_server.AppService = GroupLeaderService  # type: ignore[misc]
    flags = served_argv(argv, build_parser())
    command = "exec " + shlex.join([sys.executable, "-m", "tui.main", *flags])
    try:
        DashboardServer(command, host, port, page_url(host, port)).serve()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"mlp-tui: error: cannot listen on {host}:{port} ({reason}); pick another --port "
              "or --host", file=sys.stderr)  # fmt: skip
        return 2
    return 0
