"""The `komunalka` command: the CLI door's commands plus the process-level ones (serve, db)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import typer

from komunalka.application.readings.verify_receipt import CheckReceiptToken
from komunalka.bootstrap.cli_bots import telegram, viber
from komunalka.bootstrap.container import build, running
from komunalka.bootstrap.settings import Settings
from komunalka.channels.cli.commands import Commands
from komunalka.channels.cli.receipts import ReceiptCommands
from komunalka.channels.cli.reminders import ReminderCommands
from komunalka.channels.cli.use_cases import CliUseCases
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate

app = typer.Typer(help="Komunalka: meter readings for every supplier.", no_args_is_help=True)
db = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(telegram, name="telegram")
app.add_typer(viber, name="viber")
reminders = typer.Typer(help="Reminders to residents.", no_args_is_help=True)
app.add_typer(reminders, name="reminders")


def _language() -> str:
    return Settings().language


@asynccontextmanager
async def _use_cases() -> AsyncIterator[CliUseCases]:
    async with running() as container:
        yield container.use_cases.door(CliUseCases)


Commands(_use_cases, _language).register(app)
ReminderCommands(_use_cases, _language).register(reminders)


def _offline_receipts(keys: Path) -> CheckReceiptToken:
    from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys

    return CheckReceiptToken(Ed25519ReceiptKeys.from_published(keys.read_text("utf-8")))


ReceiptCommands(_use_cases, _language, offline=_offline_receipts).register(app)


@app.command("rotate-receipt-key")
def rotate_receipt_key() -> None:
    """Retire the receipts' signing key and make a new one. Receipts signed before still
    check: the retired key stays published. Every process must then load the new key (restart
    them; the key files are KOMUNALKA_RECEIPT_KEY_FILE and KOMUNALKA_RECEIPT_RETIRED_KEYS_FILE)."""
    from komunalka.adapters.receipt_keys import rotate

    settings = Settings()
    old, new = rotate(Path(settings.receipt_key_file), Path(settings.receipt_retired_keys_file))
    typer.echo(translate("receipt.rotated", settings.language, {"old": old, "new": new}))


@db.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the schema up to REVISION (the newest by default)."""
    asyncio.run(_migrate(revision, up=True))
    typer.echo(
        translate("Database is at revision {revision}.", _language(), {"revision": revision})
    )


@db.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Take the schema down to REVISION (`base` removes every table)."""
    asyncio.run(_migrate(revision, up=False))
    typer.echo(
        translate("Database is at revision {revision}.", _language(), {"revision": revision})
    )


async def _migrate(revision: str, *, up: bool) -> None:
    from komunalka.adapters.db import migrate  # Alembic loads only for the db commands

    async with running() as container:
        if up:
            await migrate.upgrade(container.engine, revision)
        else:
            await migrate.downgrade(container.engine, revision)


@db.command("detach-partitions")
def db_detach_partitions(
    older_than_months: Annotated[
        int, typer.Option(min=1, help="Keep this many whole months before the current one.")
    ],
    archive: Annotated[
        Path | None,
        typer.Option(help="Write each detached month to DIR/<name>.csv, then drop it."),
    ] = None,
) -> None:
    """Detach the audit log's months older than N months (PostgreSQL, ADR 0030): each stays a
    table of the schema `partitions` (for pg_dump), or with --archive is written out and
    dropped. SQLite has no partitions."""
    names = asyncio.run(_detach_partitions(older_than_months, archive))
    language = _language()
    if names is None:
        typer.echo(translate("SQLite has no partitions: nothing to detach.", language))
    elif not names:
        typer.echo(translate("No partition is that old.", language))
    else:
        params = {"count": len(names), "names": ", ".join(names)}
        typer.echo(translate("Partitions detached ({count}): {names}.", language, params))


async def _detach_partitions(months: int, directory: Path | None) -> list[str] | None:
    from komunalka.adapters.db.partitions import detach, month_start
    from komunalka.bootstrap.container import make_clock

    async with running() as container:
        before = month_start(make_clock(container.settings).now(), -months)
        return await detach(container.engine, before, directory)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Upgrade the schema and load demo data if empty.")
    ] = False,
) -> None:
    """Serve the web pages, the REST API and the webhooks (uvicorn)."""
    # The web stack loads only here: the other commands start in a fraction of the time.
    import uvicorn

    from komunalka.bootstrap.app import create_app
    from komunalka.bootstrap.http_server import server_options
    from komunalka.bootstrap.logs import log_config

    settings = Settings()
    if demo:
        asyncio.run(_prepare_demo(settings))
    container = build(settings)
    uvicorn.run(
        create_app(container=container),
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(uvicorn.config.LOGGING_CONFIG, settings.log_format),
        **server_options(settings),  # bounded request heads and idle connections
    )


@app.command("worker")
def worker(
    once: Annotated[
        bool, typer.Option(help="Run every periodic job once, now, in this process, and exit.")
    ] = False,
) -> None:
    """Run the periodic jobs (the outbox, reminders) and queued tasks until SIGTERM or Ctrl+C."""
    settings = Settings()
    if once:
        asyncio.run(_work_once(settings))
        return
    import logging.config

    import uvicorn

    from komunalka.bootstrap.logs import log_config

    config = log_config(uvicorn.config.LOGGING_CONFIG, settings.log_format)
    # taskiq says at INFO what the schedule kicks and skips, every second: only its warnings
    config["loggers"]["taskiq"] = {"handlers": ["default"], "level": "WARNING", "propagate": False}
    logging.config.dictConfig(config)
    asyncio.run(_work(settings))


async def _work_once(settings: Settings) -> None:
    from komunalka.bootstrap.jobs import describe, periodic_jobs, run_job

    async with running(settings) as container:
        for job in periodic_jobs(container.use_cases, settings):
            report = await run_job(job)
            said = {"job": job.name, "report": describe(report)}
            typer.echo(translate("Job {job}: {report}", settings.language, said))


async def _work(settings: Settings) -> None:
    import logging
    import signal

    from komunalka.bootstrap.jobs import periodic_jobs
    from komunalka.bootstrap.queue import job_queue

    log = logging.getLogger("komunalka.worker")
    async with running(settings) as container:
        jobs = periodic_jobs(container.use_cases, settings)
        queue = job_queue(settings, jobs, in_process=not settings.redis_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if settings.metrics_port:  # an internal listener: it has no token (docs/adr/0029)
            from prometheus_client import start_http_server

            from komunalka.bootstrap.metrics import metrics

            metrics().pool.watch(container.engine)
            start_http_server(
                settings.metrics_port, settings.metrics_host, registry=metrics().registry
            )
        where = "this process" if queue.in_process else f"Redis queue {settings.jobs_queue}"
        names = ", ".join(f"{job.name} every {job.every}" for job in jobs)
        log.info("worker started (%s): %s; database %s", where, names, settings.safe_database_url)
        await queue.run_until(stop)
        log.info("worker stopped")


async def _prepare_demo(settings: Settings) -> None:
    from komunalka.adapters.db import migrate

    async with running(settings) as container:
        await migrate.upgrade(container.engine)
        try:
            report = await container.use_cases.load_demo()
        except DomainError as exc:
            if exc.code != "demo.already_loaded":
                raise
            return
        typer.echo(translate("Demo API token: {token}", settings.language, {"token": report.token}))


@app.command("chat")
def chat(
    user: Annotated[str, typer.Option(help="Who you are in this terminal chat.")] = "terminal",
    name: Annotated[str, typer.Option(help="Your name, for a new resident.")] = "Термінал",
) -> None:
    """Talk to the Komunalka bot in this terminal, against the local database."""
    asyncio.run(_chat(user, name))


async def _chat(user: str, name: str) -> None:
    import sys

    from komunalka.bootstrap.container import conversation
    from komunalka.channels.console.door import run
    from komunalka.domain.services import Channel

    async with running(Settings()) as container:
        talk = conversation(container, Channel.TERMINAL)

        async def read() -> str | None:
            line = await asyncio.to_thread(sys.stdin.readline)
            return line or None

        await run(talk, user, name, read, lambda text: print(text + "\n", flush=True))


def main() -> None:
    app()
