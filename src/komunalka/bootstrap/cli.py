"""The `komunalka` command: the CLI door's commands plus the process-level ones (serve, db)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import typer

from komunalka.application.use_cases import UseCases
from komunalka.bootstrap.container import build, running
from komunalka.bootstrap.settings import Settings
from komunalka.channels.cli.commands import Commands
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate

app = typer.Typer(help="Komunalka: meter readings for every supplier.", no_args_is_help=True)
db = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db, name="db")


def _language() -> str:
    return Settings().language


@asynccontextmanager
async def _use_cases() -> AsyncIterator[UseCases]:
    async with running() as container:
        yield container.use_cases


Commands(_use_cases, _language).register(app)


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

    settings = Settings()
    if demo:
        asyncio.run(_prepare_demo(settings))
    container = build(settings)
    uvicorn.run(create_app(container=container), host=host, port=port, log_level="info")


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
        talk = conversation(container, Channel.CLI)

        async def read() -> str | None:
            line = await asyncio.to_thread(sys.stdin.readline)
            return line or None

        await run(talk, user, name, read, lambda text: print(text + "\n", flush=True))


def main() -> None:
    app()
