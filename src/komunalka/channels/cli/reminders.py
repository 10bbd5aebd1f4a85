"""`komunalka reminders ...`: a supplier's reminder rules as staff check them from a terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from komunalka.application.notifications.manage_reminders import RemindersView
from komunalka.channels.cli.commands import Commands
from komunalka.channels.cli.use_cases import CliUseCases
from komunalka.domain.periods import BillingPeriod


def mask(address: str) -> str:
    """Enough of an address to recognise it, not to use it."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    return address[:3] + "***" + address[-2:] if len(address) > 6 else "***"


class ReminderCommands(Commands):
    def register(self, app: typer.Typer) -> None:
        app.command("preview")(self.preview)

    def preview(
        self,
        supplier: Annotated[str, typer.Option(help="The supplier's code.")],
        period: Annotated[
            str | None, typer.Option(help="Billing period YYYY-MM (the current window's).")
        ] = None,
        show: Annotated[int, typer.Option(help="How many recipients to list per rule.")] = 10,
    ) -> None:
        """List whom each of the supplier's reminder rules would reach now."""

        async def work(uc: CliUseCases) -> None:
            wanted = BillingPeriod.parse(period) if period else None  # refused like the rest
            view = await uc.show_reminders(None, supplier, wanted, show)
            typer.echo(self.render(view))

        self.run(work)

    def render(self, view: RemindersView) -> str:
        lines = [self.say("reminders.cli_head", supplier=view.supplier.name, period=view.period)]
        for item in view.rules:
            rule = item.rule
            state = "reminders.state_paused" if rule.paused else "reminders.state_on"
            if not rule.enabled:
                state = "reminders.state_off"
            lines.append(
                self.say(
                    "reminders.cli_rule",
                    rule=self.say(f"reminders.kind_{rule.kind}", days=rule.days),
                    day=item.day.strftime("%d.%m.%Y") if item.day else "—",
                    state=self.say(state),
                    planned=item.planned,
                    sent=item.counts.get("sent", 0),
                    reach=item.audience.count,
                )
            )
            lines.extend(
                f"    {r.name} · {r.channel} {mask(r.address)}" for r in item.audience.sample
            )
        return "\n".join(lines)
