"""Commands: parse → use case → print. Long work shows a progress bar on standard error."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from komunalka.application.ports import RejectedRow
from komunalka.application.shared.actors import Actor
from komunalka.application.use_cases import UseCases
from komunalka.domain.errors import DomainError
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.registry import named_cells
from komunalka.domain.services import Channel
from komunalka.i18n import translate

if TYPE_CHECKING:
    from _csv import Reader

Runtime = Callable[[], AbstractAsyncContextManager[UseCases]]
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
        ):
            app.command(name)(command)

    def say(self, msgid: str, **params: object) -> str:
        return translate(msgid, self._language(), params)

    def run(self, work: Callable[[UseCases], Coroutine[Any, Any, None]]) -> None:
        async def main() -> None:
            async with self._runtime() as use_cases:
                await work(use_cases)

        try:
            asyncio.run(main())
        except DomainError as exc:
            for v in exc.violations:
                err.print(f"[red]{self.say(v.code, **v.params)}[/red]")
            raise typer.Exit(2) from exc

    def demo(self) -> None:
        """Load the demo suppliers, accounts, meters and a year of history."""

        async def work(uc: UseCases) -> None:
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
        """Import a supplier's registry (accounts, meters, last readings) from a CSV file."""
        size = file.stat().st_size

        async def work(uc: UseCases) -> None:
            with (
                file.open("rb") as raw,
                io.TextIOWrapper(raw, "utf-8-sig", newline="") as source,
                _RejectedWriter(report, self._language()) as bad,
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    console=err,
                    transient=True,
                ) as bar,
            ):
                task = bar.add_task(self.say("Importing"), total=size)
                reader = csv.reader(source)
                header = next(reader, [])
                result = await uc.import_registry(
                    Actor.system(Channel.CLI, f"import {file.name}"),
                    header,
                    _named_rows(reader, header),
                    bad,
                    lambda _: bar.update(task, completed=raw.tell()),
                )
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

        # A one-shot batch process: the chunks of rows it holds make no reference cycles, and the
        # collector's full passes over them cost about a sixth of its CPU (docs/BENCHMARKS.md).
        gc.disable()
        try:
            self.run(work)
        finally:
            gc.enable()

    def issue_token(
        self,
        resident: Annotated[int | None, typer.Option(help="An existing resident's id.")] = None,
        new: Annotated[str | None, typer.Option(help="Create a resident with this name.")] = None,
        label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    ) -> None:
        """Issue a bearer token for the REST API. It is shown once."""

        async def work(uc: UseCases) -> None:
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

        async def work(uc: UseCases) -> None:
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
                task = bar.add_task(self.say("Exporting"), total=None)

                async def sink(chunk: bytes) -> None:
                    out.write(chunk)
                    bar.advance(task, len(chunk))

                await uc.export_readings(supplier, target, sink)

        self.run(work)

    def non_submitters(
        self,
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

        self.run(work)

    def send_outbox(self) -> None:
        """Send the e-mails and SMS waiting in the outbox (the web service does it by itself)."""

        async def work(uc: UseCases) -> None:
            done = await uc.deliver_outbox()
            typer.echo(
                self.say(
                    "Sent: {sent}; not sent, kept for later: {failed}.",
                    sent=done.sent,
                    failed=done.failed,
                )
            )
            if done.failed:
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


def _named_rows(reader: Reader, header: list[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows by column name with their line numbers (blank lines skipped, a short row without its
    missing cells, filled cells past the header kept to be refused), at half csv.DictReader's
    cost per row."""
    for row in reader:
        if row:
            yield reader.line_num, named_cells(header, row)


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
