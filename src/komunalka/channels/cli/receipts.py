"""`komunalka verify-receipt`: whether a receipt is genuine and what it records, by the service's
own keys and database, or offline against the published keys (a supplier's check; no database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from komunalka.application.readings.verify_receipt import (
    CheckReceiptToken,
    ReceiptCheck,
    Verdict,
)
from komunalka.channels.cli.commands import Commands, err
from komunalka.channels.cli.use_cases import CliUseCases
from komunalka.domain.errors import DomainError

# Builds the offline check from the published keys' JSON file (ValueError when it is not that).
OfflineCheck = Callable[[Path], CheckReceiptToken]


class ReceiptCommands(Commands):
    def __init__(self, *args: object, offline: OfflineCheck) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self._offline = offline

    def register(self, app: typer.Typer) -> None:
        app.command("verify-receipt")(self.verify_receipt)

    def verify_receipt(
        self,
        receipt: Annotated[
            str, typer.Argument(help="A receipt number, a signed token (KR1.…) or its QR link.")
        ],
        keys: Annotated[
            Path | None,
            typer.Option(
                help="The published keys (JSON of /api/v1/receipts/keys): check the token "
                "offline, without the service's database.",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ] = None,
    ) -> None:
        """Say whether a receipt is genuine and what it records. Exit status: 0 genuine, 1 not,
        2 not a receipt."""
        if keys is not None:
            self._print(self._check_offline(keys, receipt))
            return

        async def work(uc: CliUseCases) -> None:
            self._print(await uc.verify_receipt(receipt, "cli"))

        self.run(work)

    def _check_offline(self, keys: Path, receipt: str) -> ReceiptCheck:
        try:
            check = self._offline(keys)
        except ValueError as exc:
            err.print(f"[red]{self.say('receipt.bad_keys_file')}[/red]")
            raise typer.Exit(2) from exc
        try:
            return check(receipt)
        except DomainError as exc:
            err.print(f"[red]{self.say(exc.code, **exc.violations[0].params)}[/red]")
            raise typer.Exit(2) from exc

    def _print(self, check: ReceiptCheck) -> None:
        code = f"receipt.verdict_{check.verdict.value}"
        if check.held is not None and check.verdict is Verdict.GENUINE:
            code = f"receipt.verdict_genuine_{check.held.value}"
        typer.echo(self.say(code, key=check.key_id or ""))
        r = check.record
        if r is not None:
            fields = [
                ("receipt", r.receipt),
                ("supplier", r.supplier),
                ("account", r.account),
                ("meter", r.meter),
                ("period", str(r.period)),
                ("register", r.register),
                ("value", f"{r.value:.{r.decimals}f}"),
                ("time", r.submitted_at.isoformat()),
                ("channel", r.channel),
            ]
            if check.found is not None:
                fields.append(("status", self.say(f"receipt.status_{check.found.status.value}")))
            if check.key_id:
                fields.append(("key", check.key_id))
            for name, value in fields:
                typer.echo(f"{self.say('receipt.field_' + name)}: {value}")
        if check.verdict is not Verdict.GENUINE:
            raise typer.Exit(1)
