"""`komunalka telegram …` and `komunalka viber …`: pointing the messengers at the service
(their webhooks) and Telegram's long polling for a local run."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from komunalka.bootstrap.container import running
from komunalka.bootstrap.settings import Settings
from komunalka.channels.viber.use_cases import ViberUseCases
from komunalka.i18n import translate

telegram = typer.Typer(help="The Telegram bot.", no_args_is_help=True)
viber = typer.Typer(help="The Viber bot.", no_args_is_help=True)


@telegram.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="The public HTTPS address of /webhooks/telegram.")],
) -> None:
    """Tell Telegram where to send updates, with the secret token its calls will carry."""
    asyncio.run(_telegram(lambda settings, _: _set_webhook(settings, url)))


@telegram.command("poll")
def telegram_poll(
    once: Annotated[bool, typer.Option(help="Answer what is waiting, then stop.")] = False,
) -> None:
    """Long polling, for a local run without a public address (drops any webhook)."""
    asyncio.run(_telegram(lambda settings, container: _poll(settings, container, once)))


async def _telegram(work: Any) -> None:
    settings = Settings()
    if not settings.telegram_token:
        typer.echo(translate("telegram.no_token", settings.language), err=True)
        raise typer.Exit(2)
    async with running(settings) as container:
        await work(settings, container)


async def _set_webhook(settings: Settings, url: str) -> None:
    from komunalka.bootstrap.container import telegram_bot

    bot = telegram_bot(settings)
    params: dict[str, Any] = {"url": url, "allowed_updates": ["message", "callback_query"]}
    if settings.telegram_webhook_secret:
        params["secret_token"] = settings.telegram_webhook_secret
    try:
        await bot.call("setWebhook", params)
    finally:
        await bot.close()
    typer.echo(translate("Webhook set: {url}", settings.language, {"url": url}))


async def _poll(settings: Settings, container: Any, once: bool) -> None:
    from komunalka.bootstrap.container import conversation, telegram_bot
    from komunalka.channels.telegram.door import TelegramDoor
    from komunalka.chat.model import TurnUnderWay
    from komunalka.domain.services import Channel

    bot = telegram_bot(settings)
    door = TelegramDoor(conversation(container, Channel.TELEGRAM), bot)
    offset = 0
    try:
        await bot.call("deleteWebhook", {})
        while True:
            wait = 0 if once else 25
            params = {"offset": offset, "timeout": wait}
            updates = await bot.call("getUpdates", params, answer_within=wait + 10)
            for update in updates:
                try:
                    await door.feed(update)
                except TurnUnderWay:  # a poller that died left it under way: ask again soon
                    await asyncio.sleep(1)
                    break
                offset = update["update_id"] + 1
            if once and not updates:
                return
    finally:
        await bot.close()


@viber.command("set-webhook")
def viber_set_webhook(
    url: Annotated[str, typer.Argument(help="The public HTTPS address of /webhooks/viber.")],
) -> None:
    """Tell Viber where to send callbacks."""
    asyncio.run(_viber_set_webhook(url))


async def _viber_set_webhook(url: str) -> None:
    from komunalka.bootstrap.container import conversation, viber_client
    from komunalka.channels.viber.door import ViberDoor
    from komunalka.domain.services import Channel

    settings = Settings()
    if not settings.viber_token:
        typer.echo(translate("viber.no_token", settings.language), err=True)
        raise typer.Exit(2)
    async with running(settings) as container, viber_client(settings) as client:
        door = ViberDoor(
            conversation(container, Channel.VIBER), container.use_cases.door(ViberUseCases), client
        )
        await door.set_webhook(url)
    typer.echo(translate("Webhook set: {url}", settings.language, {"url": url}))
