"""Commands: parse → use case → print. Long work shows a progress bar on standard error."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from komunalka.application.shared.actors import Actor
from komunalka.application.suppliers.formats import RejectedRowsReport, non_submitters_csv
from komunalka.application.suppliers.import_registry import ImportReport
from komunalka.application.suppliers.supplier_access import ServiceCaller
from komunalka.channels.cli.use_cases import CliUseCases
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.services import Channel
from komunalka.i18n import translate

Runtime = Callable[[], AbstractAsyncContextManager[CliUseCases]]
err = Console(stderr=True)


class Commands:
    """The door's commands, bound to a way of getting the use cases and the language."""

    def __init__(self, runtime: Runtime, language: Callable[[], str]) -> None:
        self._runtime = runtime
        self._language = language

    def register(self, app: typer.Typer) -> None:
        for name, command in (
            ("demo", self.demo),
            ("import-registry", self.import_registry),
            ("issue-token", self.issue_token),
            ("revoke-token", self.revoke_token),
            ("export", self.export),
            ("non-submitters", self.non_submitters),
            ("send-outbox", self.send_outbox),
            ("photo-retention", self.photo_retention),
        ):
            app.command(name)(command)

    def say(self, msgid: str, **params: object) -> str:
        return translate(msgid, self._language(), params)

    def describe(self, violation: Violation) -> str:
        return translate(violation.code, self._language(), violation.params)

    def run(self, work: Callable[[CliUseCases], Coroutine[Any, Any, None]]) -> None:
        async def main() -> None:
            async with self._runtime() as use_cases:
                await work(use_cases)

        try:
            asyncio.run(main())
        except DomainError as exc:
            for v in exc.violations:
                err.print(f"[red]{self.say(v.code, **v.params)}[/red]")
            raise typer.Exit(2) from exc

    def photo_retention(
        self,
        supplier: Annotated[str, typer.Argument(help="The supplier's code.")],
        days: Annotated[int, typer.Argument(help="Days a meter photo is kept (1-3650).")],
    ) -> None:
        """Set how long the supplier's meter photos are kept as evidence; the worker deletes
        older ones (730 days unless set)."""

        async def work(uc: CliUseCases) -> None:
            await uc.set_photo_retention(supplier, days)
            typer.echo(self.say("cli.photo_retention_set", supplier=supplier, days=days))

        self.run(work)

    def demo(self) -> None:
        """Load the demo suppliers, accounts, meters and a year of history."""

        async def work(uc: CliUseCases) -> None:
            report = await uc.load_demo()
            typer.echo(
                self.say(
                    "Demo data loaded: {accounts} accounts, {meters} meters, {readings} readings.",
                    accounts=report.accounts,
                    meters=len(report.meters),
                    readings=report.readings,
                )
            )
            typer.echo(self.say("Demo API token: {token}", token=report.token))

        self.run(work)

    def import_registry(
        self,
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        report: Annotated[
            Path | None, typer.Option(help="Where to write the bad rows (CSV).")
        ] = None,
    ) -> None:
        """Import a supplier's registry (accounts, meters, last readings) from a CSV file (or an
        XLSX workbook, by its name)."""
        size = file.stat().st_size
        kind = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"

        async def work(uc: CliUseCases) -> None:
            with (
                _text_out(report) as out,
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    console=err,
                    transient=True,
                    # Only a person at a terminal watches it: elsewhere (cron, a pipe) it would
                    # redraw nothing, ten times a second, beside the import's own threads.
                    disable=not err.is_terminal,
                ) as bar,
            ):
                task = bar.add_task(self.say("Importing"), total=size)
                result = await uc.import_registry_file(
                    Actor.system(Channel.CLI, f"import {file.name}"),
                    str(file),
                    kind,
                    RejectedRowsReport(out, self.describe),
                    lambda read: bar.update(task, completed=read),
                )
            self._say_imported(result)

        # A one-shot batch process: the chunks of rows it holds make no reference cycles, and the
        # collector's full passes over them cost about a sixth of its CPU (docs/BENCHMARKS.md).
        gc.disable()
        try:
            self.run(work)
        finally:
            gc.enable()

    def _say_imported(self, result: ImportReport) -> None:
        if result.encoding is not None:
            typer.echo(self.say("registry.encoding", encoding=result.encoding))
        typer.echo(
            self.say(
                "Rows: {rows}, accepted: {accepted}, rejected: {rejected}.",
                rows=result.rows,
                accepted=result.accepted,
                rejected=result.rejected,
            )
        )
        typer.echo(
            self.say(
                "Accounts written: {accounts}, meters: {meters}, readings: {readings}.",
                accounts=result.counts.accounts,
                meters=result.counts.meters,
                readings=result.counts.readings,
            )
        )
        typer.echo(
            self.say(
                "Unchanged rows (nothing written): {unchanged}.",
                unchanged=result.counts.unchanged,
            )
        )

    def issue_token(
        self,
        resident: Annotated[int | None, typer.Option(help="An existing resident's id.")] = None,
        new: Annotated[str | None, typer.Option(help="Create a resident with this name.")] = None,
        label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    ) -> None:
        """Issue a bearer token for the REST API. It is shown once."""

        async def work(uc: CliUseCases) -> None:
            issued = await uc.issue_token(Actor.system(), resident, new, label)
            typer.echo(self.say("Resident {resident}", resident=issued.resident_id), err=True)
            typer.echo(issued.token)

        self.run(work)

    def revoke_token(
        self,
        token: Annotated[str, typer.Argument(help="The token to revoke; - reads it from stdin.")],
    ) -> None:
        """Revoke a bearer token: it stops working (within 30 s on running servers)."""
        from_stdin = token.strip() == "-"  # keeps the token out of shell history
        secret = sys.stdin.readline() if from_stdin else token

        async def work(uc: CliUseCases) -> None:
            resident_id = await uc.revoke_token(Actor.system(), secret)
            typer.echo(self.say("Token revoked (resident {resident}).", resident=resident_id))

        self.run(work)

    def export(
        self,
        supplier: Annotated[str, typer.Option(help="Supplier code, e.g. kte.")],
        period: Annotated[str, typer.Option(help="Billing period, YYYY-MM.")],
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File; stdout if omitted.")
        ] = None,
        format: Annotated[
            Literal["csv", "json", "xlsx"], typer.Option(help="csv, json or xlsx.")
        ] = "csv",
    ) -> None:
        """A supplier's accepted readings for a period as CSV (or JSON, XLSX), streamed."""

        async def work(uc: CliUseCases) -> None:
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
                task = bar.add_task(self.say("Exporting"), total=None)

                async def sink(chunk: bytes) -> None:
                    out.write(chunk)
                    bar.advance(task, len(chunk))

                caller = ServiceCaller(Actor.system(Channel.CLI, "export"))
                await uc.export_readings(caller, supplier, target, format, sink)

        self.run(work)

    def non_submitters(
        self,
        supplier: Annotated[str, typer.Option(help="Supplier code, e.g. kte.")],
        period: Annotated[str, typer.Option(help="Billing period, YYYY-MM.")],
    ) -> None:
        """Active meters of a supplier with no reading for the period, as CSV on stdout."""

        async def work(uc: CliUseCases) -> None:
            target = BillingPeriod.parse(period)
            caller = ServiceCaller(Actor.system(Channel.CLI, "non-submitters"))
            with _binary_out(None) as out:
                async for chunk in non_submitters_csv(uc.non_submitters(caller, supplier, target)):
                    out.write(chunk)

        self.run(work)

    def send_outbox(self) -> None:
        """Send the e-mails and SMS waiting in the outbox (the web service does it by itself)."""

        async def work(uc: CliUseCases) -> None:
            done = await uc.deliver_outbox()
            typer.echo(
                self.say(
                    "Sent: {sent}; retry: {retried}; given up: {failed}; unknown: {unknown}.",
                    sent=done.sent,
                    retried=done.retried,
                    failed=done.failed,
                    unknown=done.unknown,
                )
            )
            if done.retried or done.failed or done.unknown:
                raise typer.Exit(1)

        self.run(work)


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


class _text_out:
    """A report file when given, else standard error."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._file: TextIO | None = None

    def __enter__(self) -> TextIO:
        self._file = (
            self._path.open("w", newline="", encoding="utf-8") if self._path else sys.stderr
        )
        return self._file

    def __exit__(self, *_: object) -> None:
        if self._path and self._file:
            self._file.close()
