"""Server-rendered pages: Jinja2 templates from every web door, in the reader's language.

Templates write ``{{ _("pages.brand") }}`` (or with parameters, ``_("code", name=value)``); the
words come from the gettext catalogs like every other door's. Autoescaping is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.pages.security import LANGUAGE_COOKIE, csrf_token
from komunalka.domain.errors import DomainError
from komunalka.domain.windows import DEFAULT_TIMEZONE
from komunalka.i18n import LANGUAGES, day_in_words, negotiate, translate

HERE = Path(__file__).parent
CHANNELS = HERE.parent
STATIC = HERE / "static"


def language_of(request: Request, viewer: Viewer | None = None) -> str:
    """The language switch's cookie, else the resident's profile, else Accept-Language."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if viewer is not None and viewer.profile is not None and viewer.profile.language in LANGUAGES:
        return viewer.profile.language
    return negotiate(request.headers.get("accept-language"))


def number(value: Decimal | float | int | None, places: int | None = None) -> str:
    """A number as Ukrainians write it: a space between thousands, a comma before decimals."""
    if value is None:
        return "—"
    if places is not None:
        text = f"{Decimal(value):,.{places}f}"
    else:
        text = f"{Decimal(value).normalize():,f}" if isinstance(value, Decimal) else f"{value:,}"
    return text.replace(",", "\u202f").replace(".", ",")


class Pages:
    """Renders the templates of the web doors (each door's ``templates`` folder)."""

    def __init__(self, doors: tuple[str, ...] = ("pages", "web", "operator", "supplier")) -> None:
        folders = [CHANNELS / door / "templates" for door in doors]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders if f.is_dir()]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["number"] = number
        self.env.filters["local"] = _local_time
        self.env.filters["day_words"] = _day_words

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        viewer: Viewer | None = None,
    ) -> HTMLResponse:
        viewer = viewer if viewer is not None else getattr(request.state, "viewer", None)
        language = language_of(request, viewer)

        def _(msgid: str, **params: object) -> str:
            return translate(msgid, language, params)

        values = {
            "request": request,
            "_": _,
            "lang": language,
            "languages": LANGUAGES,
            "viewer": viewer,
            "csrf_token": csrf_token(request),
            "path": request.url.path,
            **(context or {}),
        }
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status_code)

    @staticmethod
    def errors(error: DomainError, language: str) -> list[str]:
        """A domain error's violations as sentences in the reader's language."""
        return [translate(v.code, language, v.params) for v in error.violations]


def _day_words(value: date | datetime, language: str, zone: tzinfo | None = None) -> str:
    """A day in words in the reader's language (``3 грудня 2026``); an instant is taken as a
    day in `zone` (Kyiv time when none is given)."""
    if isinstance(value, datetime):
        value = value.astimezone(zone or ZoneInfo(DEFAULT_TIMEZONE)).date()
    return day_in_words(value, language)


def _local_time(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """An instant in Kyiv time."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime(fmt)
