"""Commands: parse → use case → print. Long work shows a progress bar on standard error."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from komunalka.application.actors import Actor
from komunalka.application.ports import RejectedRow
from komunalka.application.use_cases import UseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel
from komunalka.i18n import translate

Runtime = Callable[[], AbstractAsyncContextManager[UseCases]]
err = Console(stderr=True)


def add_commands(app: typer.Typer, runtime: Runtime, language: Callable[[], str]) -> None:
    def say(msgid: str, **params: object) -> str:
        return translate(msgid, language(), params)

    def run(work: Callable[[UseCases], Coroutine[Any, Any, None]]) -> None:
        async def main() -> None:
            async with runtime() as use_cases:
                await work(use_cases)

        try:
            asyncio.run(main())
        except DomainError as exc:
            for v in exc.violations:
                err.print(f"[red]{say(v.code, **v.params)}[/red]")
            raise typer.Exit(2) from exc

    @app.command("demo")
    def demo() -> None:
        """Load the demo suppliers, accounts, meters and a year of history."""

        async def work(uc: UseCases) -> None:
            report = await uc.load_demo()
            typer.echo(
                say(
                    "Demo data loaded: {accounts} accounts, {meters} meters, {readings} readings.",
                    accounts=report.accounts,
                    meters=len(report.meters),
                    readings=report.readings,
                )
            )
            typer.echo(say("Demo API token: {token}", token=report.token))

        run(work)

    @app.command("import-registry")
    def import_registry(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        report: Annotated[
            Path | None, typer.Option(help="Where to write the bad rows (CSV).")
        ] = None,
    ) -> None:
        """Import a supplier's registry (accounts, meters, last readings) from a CSV file."""
        size = file.stat().st_size

        async def work(uc: UseCases) -> None:
            with (
                file.open("rb") as raw,
                io.TextIOWrapper(raw, "utf-8-sig", newline="") as source,
                _RejectedWriter(report, language()) as bad,
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    console=err,
                    transient=True,
                ) as bar,
            ):
                task = bar.add_task(say("Importing"), total=size)
                reader = csv.DictReader(source)
                rows = ((reader.line_num, row) for row in reader)
                result = await uc.import_registry(
                    Actor.system(Channel.CLI, f"import {file.name}"),
                    reader.fieldnames or [],
                    rows,
                    bad,
                    lambda _: bar.update(task, completed=raw.tell()),
                )
            typer.echo(
                say(
                    "Rows: {rows}, accepted: {accepted}, rejected: {rejected}.",
                    rows=result.rows,
                    accepted=result.accepted,
                    rejected=result.rejected,
                )
            )
            typer.echo(
                say(
                    "Accounts written: {accounts}, meters: {meters}, readings: {readings}.",
                    accounts=result.counts.accounts,
                    meters=result.counts.meters,
                    readings=result.counts.readings,
                )
            )

        run(work)

    @app.command("issue-token")
    def issue_token(
        resident: Annotated[int | None, typer.Option(help="An existing resident's id.")] = None,
        new: Annotated[str | None, typer.Option(help="Create a resident with this name.")] = None,
        label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    ) -> None:
        """Issue a bearer token for the REST API. It is shown once."""

        async def work(uc: UseCases) -> None:
            issued = await uc.issue_token(Actor.system(), resident, new, label)
            typer.echo(say("Resident {resident}", resident=issued.resident_id), err=True)
            typer.echo(issued.token)

        run(work)

    @app.command("export")
    def export(
        supplier: Annotated[str, typer.Option(help="Supplier code, e.g. kte.")],
        period: Annotated[str, typer.Option(help="Billing period, YYYY-MM.")],
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File; stdout if omitted.")
        ] = None,
    ) -> None:
        """A supplier's accepted readings for a period as CSV, streamed."""

        async def work(uc: UseCases) -> None:
            target = BillingPeriod.parse(period)
            with (
                _binary_out(output) as out,
                Progress(
                    TextColumn("{task.description}"),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    console=err,
                    transient=True,
                    disable=output is None,
                ) as bar,
            ):
                task = bar.add_task(say("Exporting"), total=None)

                async def sink(chunk: bytes) -> None:
                    out.write(chunk)
                    bar.advance(task, len(chunk))

                await uc.export_readings(supplier, target, sink)

        run(work)

    @app.command("non-submitters")
    def non_submitters(
        supplier: Annotated[str, typer.Option(help="Supplier code, e.g. kte.")],
        period: Annotated[str, typer.Option(help="Billing period, YYYY-MM.")],
    ) -> None:
        """Active meters of a supplier with no reading for the period, as CSV on stdout."""

        async def work(uc: UseCases) -> None:
            out = csv.writer(sys.stdout, lineterminator="\n")
            out.writerow(("account", "holder", "address", "serial", "service"))
            rows: AsyncIterator[Any] = uc.non_submitters(supplier, BillingPeriod.parse(period))
            async for r in rows:
                out.writerow((r.account_number, r.holder, r.address, r.meter_serial, r.service))

        run(work)


class _binary_out:
    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._file: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        self._file = self._path.open("wb") if self._path else sys.stdout.buffer
        return self._file

    def __exit__(self, *_: object) -> None:
        if self._path and self._file:
            self._file.close()
        else:
            sys.stdout.flush()


class _RejectedWriter:
    """Writes bad rows as they come (line, codes, message), to a file or standard error."""

    def __init__(self, path: Path | None, language: str) -> None:
        self._path = path
        self._language = language
        self._file: TextIO | None = None
        self.count = 0

    def __enter__(self) -> Callable[[RejectedRow], None]:
        self._file = (
            self._path.open("w", newline="", encoding="utf-8") if self._path else sys.stderr
        )
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(("line", "codes", "message"))
        return self._write

    def _write(self, row: RejectedRow) -> None:
        self.count += 1
        message = "; ".join(translate(v.code, self._language, v.params) for v in row.violations)
        self._csv.writerow((row.line, " ".join(row.codes), message))

    def __exit__(self, *_: object) -> None:
        if self._path and self._file:
            self._file.close()
