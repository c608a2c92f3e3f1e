"""The `bridge` command line (CONTRACT.md): every command exits 0 on success and
non-zero with one clear line on stderr otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.connections import service as connections
from app.connections.schemas import ConnectionCreate, ConnectionRead
from app.credentials import CredentialVault, load_vault
from app.db import Database
from app.digest.schemas import DigestRead
from app.digest.since import SINCE_HELP, parse_since
from app.errors import BridgeError
from app.process import tune_gc
from app.schema import upgrade_to_head
from app.sync.progress import SyncProgressBar
from app.sync.schemas import SyncRunRead
from app.sync.service import AlreadyRunning, run_sync
from connectors.sim.world import Size

try:  # typer >= 0.23 carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

ClickException = click_exceptions.ClickException
T = TypeVar("T")
FROM_STDIN = "-"

cli = typer.Typer(
    name="bridge",
    help="Issuebridge: one cross-team view of roadmap items and the tickets that deliver them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
connections_cli = typer.Typer(help="Add, list and remove vendor connections.", no_args_is_help=True)
cli.add_typer(connections_cli, name="connections")


class CommandError(Exception):
    """A failure the user can act on; printed as one line."""


def _run(work: Callable[[Database, CredentialVault], Awaitable[T]], *, migrate: bool = True) -> T:
    """Run one command's async work against the configured database."""

    async def main() -> T:
        settings = Settings()
        database = Database(settings.database_url)
        try:
            if migrate:
                await upgrade_to_head(database)
            return await work(database, load_vault(settings))
        finally:
            await database.dispose()

    return asyncio.run(main())


@cli.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (safe to run again)."""

    _run(_migrated)
    typer.echo("database is at the newest schema")


async def _migrated(_database: Database, _vault: CredentialVault) -> None:
    """Nothing: `_run` migrates before any command's work."""


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the port.")
    ] = 1,
) -> None:
    """Serve the API, the dashboard and webhooks (migrates the database first)."""
    import uvicorn

    tune_gc()
    from app.main import create_app

    settings = Settings()
    if not settings.api_tokens and not _is_loopback(host):
        raise CommandError(
            f"refusing to bind {host} without BRIDGE_API_TOKENS: the API would be open to anyone"
        )
    load_vault(settings)  # fail here, in one line, when the key is missing
    served = {"host": host, "port": port, "access_log": False, "log_level": "info"}
    if workers == 1:
        uvicorn.run(create_app(settings), **served)  # type: ignore[arg-type]
        return
    _run(_migrated)  # once, before the processes start
    uvicorn.run("app.main:create_worker_app", factory=True, workers=workers, **served)  # type: ignore[arg-type]


@cli.command()
def worker() -> None:
    """Process webhook deliveries (and scheduled syncs), with no HTTP; Ctrl-C stops it."""
    from app.worker import run_worker

    settings = Settings()
    load_vault(settings)  # fail here, in one line, when the key is missing
    tune_gc()

    async def work(database: Database, _vault: CredentialVault) -> None:
        await run_worker(settings)

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        _run(work)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _settings(pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` options; a VALUE that parses as JSON is taken as JSON (lists, maps)."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--setting")
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    return settings


@connections_cli.command("add")
def connections_add(
    name: Annotated[str, typer.Argument(help="Unique slug: a-z, 0-9 and -, at most 64.")],
    kind: Annotated[str, typer.Option(help="github, gitlab, jira, linear, productboard or aha.")],
    base_url: Annotated[str | None, typer.Option(help="API root; default: the vendor's.")] = None,
    token: Annotated[str | None, typer.Option(help="Vendor token; - reads it from stdin.")] = None,
    scope: Annotated[list[str] | None, typer.Option(help="What to pull; repeatable.")] = None,
    team: Annotated[str | None, typer.Option(help="Team the items belong to.")] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="Secret webhooks are signed with.")
    ] = None,
    interval: Annotated[int, typer.Option(help="Seconds between scheduled syncs.")] = 300,
    setting: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE option of the kind (VALUE as JSON if it parses); repeatable."),
    ] = None,
) -> None:
    """Add a connection and print it as JSON (never its secrets)."""
    if token == FROM_STDIN:
        token = sys.stdin.readline().strip()
    fields: dict[str, Any] = {
        "name": name, "kind": kind, "base_url": base_url, "token": token,
        "scopes": scope or [], "team": team, "webhook_secret": webhook_secret,
        "interval": interval, "settings": _settings(setting or []),
    }  # fmt: skip
    data = ConnectionCreate.model_validate(fields)

    async def add(database: Database, vault: CredentialVault) -> ConnectionRead:
        async with database.job_session() as session:
            return await connections.create(session, vault, data)

    typer.echo(_run(add).model_dump_json(indent=2))


@connections_cli.command("list")
def connections_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the connections."""

    async def list_all(database: Database, vault: CredentialVault) -> list[ConnectionRead]:
        async with database.job_session() as session:
            return await connections.list_all(session, vault)

    found = _run(list_all)
    if as_json:
        typer.echo(json.dumps([c.model_dump(mode="json") for c in found], indent=2))
        return
    table = Table("name", "kind", "base url", "scopes", "team", "interval", "enabled")
    for c in found:
        table.add_row(
            c.name, c.kind, c.base_url, ", ".join(c.scopes), c.team or "", f"{c.interval}s",
            "yes" if c.enabled else "no",
        )  # fmt: skip
    Console().print(table)


@connections_cli.command("remove")
def connections_remove(name: str) -> None:
    """Remove a connection. What it stored is kept, out of view."""

    async def remove(database: Database, _vault: CredentialVault) -> None:
        async with database.job_session() as session:
            await connections.remove(session, name)

    _run(remove)
    typer.echo(f"removed connection {name}")


@cli.command()
def sync(
    name: Annotated[str, typer.Argument(help="The connection to sync.")],
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything; reconcile deletions.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sync run as JSON.")] = False,
) -> None:
    """Run one sync now, in the foreground; exits non-zero when the run fails."""
    tune_gc()

    lease_seconds = Settings().lease_seconds

    async def work(database: Database, vault: CredentialVault) -> SyncRunRead:
        with SyncProgressBar(enabled=not as_json and sys.stderr.isatty()) as bar:
            return await run_sync(
                database, vault, name, full=full, on_progress=bar.update,
                lease_seconds=lease_seconds,
            )  # fmt: skip

    try:
        run = _run(work)
    except AlreadyRunning as running:
        started = (
            f" (run {running.run.id}, started {running.run.started_at})" if running.run else ""
        )
        raise CommandError(f"a sync of {name} is already running{started}") from None
    if as_json:
        typer.echo(run.model_dump_json())
    else:
        typer.echo(
            f"{run.status}: fetched {run.fetched} (created {run.created}, updated {run.updated}, "
            f"unchanged {run.unchanged}, stale {run.stale}, deleted {run.deleted}) "
            f"in {run.requests} requests"
        )
    if run.status == "failed":
        raise CommandError(f"sync of {name} failed ({run.failure_type}): {run.error}")


@cli.command()
def digest(
    since: Annotated[str, typer.Option(help=f"Start of the period: {SINCE_HELP}.")] = "7d",
    team: Annotated[str | None, typer.Option(help="Only this team's tickets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the digest as JSON.")] = False,
) -> None:
    """What was done, started, added, removed and slipped on the roadmap since a date."""
    from app.digest.markdown import render
    from app.digest.service import digest as build_digest

    until = datetime.now(UTC)
    start = parse_since(since, until)  # before touching the database: a typo fails fast

    async def work(database: Database, _vault: CredentialVault) -> DigestRead:
        async with database.request_session(writes=False) as session:
            return await build_digest(session, since=start, until=until, team=team)

    found = _run(work)
    typer.echo(found.model_dump_json(indent=2) if as_json else render(found), nl=not as_json)


@cli.command()
def sim(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8900,
    seed: Annotated[int, typer.Option(help="Seed of the generated organisation.")] = 1,
    size: Annotated[Size, typer.Option(help="small, medium or large.")] = "small",
) -> None:
    """Serve every vendor simulator over one generated organisation."""
    import uvicorn

    from connectors.github.sim import GitHubSimOptions
    from connectors.sim.server import build_sim_app, vendor_base_urls
    from connectors.sim.world import World

    app = build_sim_app(World.generate(seed, size), github=GitHubSimOptions())
    for vendor, url in vendor_base_urls(f"http://{host}:{port}").items():
        typer.echo(f"{vendor}: {url}")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


@cli.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the service.")] = 8000,
    sim_port: Annotated[int, typer.Option(help="Port of the simulators.")] = 8900,
    seed: Annotated[int, typer.Option(help="Seed of the generated organisation.")] = 1,
    size: Annotated[Size, typer.Option(help="small, medium or large.")] = "small",
) -> None:
    """The simulators, the service, a connection per team and a first sync: one command."""
    from app.demo import DemoOptions, run_demo

    settings = Settings()
    if not settings.api_tokens and not _is_loopback(host):
        raise CommandError(f"refusing to bind {host} without BRIDGE_API_TOKENS")
    options = DemoOptions(host=host, port=port, sim_port=sim_port, seed=seed, size=size)
    asyncio.run(run_demo(settings, options))


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `bridge` console script."""
    try:
        code = cli(args=argv, standalone_mode=False)
    except ClickException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # bare `bridge`: help was printed
            sys.exit(0)
        typer.echo(f"error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except ValidationError as error:
        typer.echo(f"error: {_one_line(error)}", err=True)
        sys.exit(2)
    except (BridgeError, CommandError) as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    except (SQLAlchemyError, OSError) as error:
        typer.echo(f"error: database: {str(error).splitlines()[0]}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
