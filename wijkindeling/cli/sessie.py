"""``wijkindeling sessie``: the duidingssessie workbench in the browser (see :mod:`wijkindeling.workbench`)."""

from __future__ import annotations

import errno
import secrets
import socket
import threading
import webbrowser
from pathlib import Path

import click

from ..build import build_problem
from ..errors import ConfigError
from ..report.outputs import scenario_dir
from ..workbench.app import serve
from ..workbench.session import SessionError, Workbench
from ..workbench.store import Store
from .common import load, show_warnings

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
STORE_FILE = "sessie.sqlite"


def check_port(host: str, port: int) -> None:
    """Refuse early (before loading data or proposing) when ``host:port`` cannot be listened on.

    Raises
    ------
    ConfigError
        One sentence naming --port or --host and the fix.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ConfigError(f"--port {port}: the port is in use (another session?); stop that one or choose another port with --port.") from None
            raise ConfigError(f"--host {host}: cannot listen there ({err.strerror}); use 127.0.0.1 or an address of this machine.") from None


@click.command("sessie")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--scenario", default=None,
              help="Scenario to open (default: the one the session showed last, else the config's scenario); proposed when it does not exist.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="TCP port of the web page.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than 127.0.0.1 needs the access token the terminal prints.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the default browser.")
@show_warnings
def sessie_cmd(config: str, scenario: str | None, port: int, host: str, no_browser: bool) -> None:
    """Start the duidingssessie workbench for CONFIG: edit the division live in the browser, with every score."""
    check_port(host, port)
    cfg = load(config)
    problem = build_problem(cfg)
    folder = scenario_dir(Path(cfg.output.dir), problem, cfg.scenario).parent
    try:
        store = Store(folder / STORE_FILE)
    except OSError as err:
        raise ConfigError(f"{folder / STORE_FILE}: cannot open the session file ({err.strerror}); set output.dir to a folder you can write to.") from None
    active = store.active()
    name = scenario or (active if active is not None and store.has(active) else cfg.scenario)  # resume where the session was
    settings = {"backend": cfg.solver.backend, "time_limit": cfg.solver.time_limit, "mip_gap": cfg.solver.mip_gap,
                "seed": cfg.solver.seed, "threads": cfg.solver.threads}
    bench = Workbench(problem, store, Path(cfg.output.dir), settings)
    if not store.has(name) and not (scenario_dir(Path(cfg.output.dir), problem, name) / "plan.csv").exists():
        click.echo(f"Scenario {name} does not exist yet; proposing it first (time limit {cfg.solver.time_limit:g} s)...", err=True)
    try:
        bench.start(name)
    except SessionError as err:
        raise ConfigError(f"{config}: scenario {name} has no plan to start from ({err.message}); check the config's areas and rules.") from None
    token = None if host in LOCAL_HOSTS else secrets.token_urlsafe(16)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    suffix = f"?token={token}" if token else ""
    click.echo(f"Session file: {store.path}")
    click.echo(f"Workbench:    {url}{suffix}")
    click.echo(f"Presentation: {url}presentatie{suffix}")
    if token:
        click.echo(f"Access token: {token} (give the links above only to the people in the session)")
    click.echo("Stop with Ctrl-C; every change is saved as it is made.")
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url + suffix,)).start()
    serve(bench, host, port, token)
    click.echo(f"Session stopped; everything is saved in {store.path} (start it again to continue).")
