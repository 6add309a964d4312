"""``sim dashboard``: serve the what-if page (sim/dashboard/app.py) on 127.0.0.1 with Solara."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from sim.cli.arguments import port_number
from sim.errors import InputError, Problem
from sim.interrupts import raise_if_interrupted

HELP = "the what-if page in a browser, on 127.0.0.1 (needs sahel-sim[dashboard])"
# Solara's CDN proxy serves assets from the cache that the solara-assets package installs; pointing
# the proxy at a closed local port means a missing asset fails loudly instead of being fetched.
OFFLINE_CDN = "http://127.0.0.1:9/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="baseline",
                        help="scenario file or library name to start from (default: baseline)")
    parser.add_argument("--folder", type=Path,
                        help="where scenario files are listed and what-ifs saved (default: the current folder)")
    parser.add_argument("--port", type=port_number, default=8765,
                        help="port on 127.0.0.1 (default 8765; 0: any free)")


def command(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("solara") is None or importlib.util.find_spec("solara_assets") is None:
        raise InputError([Problem.about("dashboard", "needs the dashboard extra: pip install 'sahel-sim[dashboard]'")])
    from sim.scenario.loader import resolve_scenario  # deferred: YAML and the catalogue, not for --help

    scenario = resolve_scenario(args.scenario)  # a bad scenario exits 2 here, before any server starts
    folder = args.folder or Path(".")
    if not str(folder).strip() or not folder.is_dir():
        raise InputError([Problem.about(f"dashboard: --folder {folder}", "not a folder")])
    port = _free_port(args.port)
    if port is None:
        raise InputError([Problem.about("dashboard", f"port {args.port} on 127.0.0.1 is in use; pass another "
                                                     "--port (0: any free one)")])
    # deferred: process and temporary-file modules only this command needs (sim --help imports every command)
    import subprocess
    import tempfile

    env = {**os.environ, "SIM_DASHBOARD_SCENARIO": str(Path(scenario.path).resolve()),
           "SIM_DASHBOARD_FOLDER": str(folder.resolve()),
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_ASSETS_CDN": OFFLINE_CDN,
           "SOLARA_KERNEL_CULL_TIMEOUT": "2m",  # a closed tab's session (and any run it left going) ends in minutes
           "IPYTHONDIR": str(Path(tempfile.gettempdir()) / "sim-dashboard-ipython")}  # Solara's kernels keep history
    print(f"dashboard: http://127.0.0.1:{port}/ (scenario {scenario.name}; saves to {folder}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    # -P: the working directory stays off sys.path, so a file there named like a module (click.py) cannot shadow it
    server = subprocess.Popen([sys.executable, "-P", "-m", "sim.dashboard.server", str(port), str(os.getpid())],
                              env=env)
    try:
        while True:  # the signal handler only records a Ctrl-C or SIGTERM: look for it between waits
            raise_if_interrupted()
            try:
                return server.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        return 130


def _free_port(wanted: int) -> int | None:
    """``wanted`` if it is free on 127.0.0.1 (0: any free port), else None."""
    import socket  # deferred: only this command needs it (sim --help imports every command)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            return None
        return probe.getsockname()[1]
