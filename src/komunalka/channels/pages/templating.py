"""Server-rendered pages: Jinja2 templates from every web door, in the reader's language.

Templates write ``{{ _("pages.brand") }}`` (or with parameters, ``_("code", name=value)``); the
words come from the gettext catalogs like every other door's. Autoescaping is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from komunalka import formats
from komunalka.application.identity.sign_in import Viewer
from komunalka.channels.pages.security import LANGUAGE_COOKIE, csrf_token
from komunalka.domain.errors import DomainError
from komunalka.domain.windows import DEFAULT_TIMEZONE
from komunalka.i18n import DEFAULT_LANGUAGE, LANGUAGES, day_in_words, negotiate, translate
from komunalka.money import format_money

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


# The language of the page being rendered, for the `number` filter: a filter has no request,
# and macros imported without context do not see the template's `lang`. Set around each render.
_PAGE_LANGUAGE: ContextVar[str] = ContextVar("page_language", default=DEFAULT_LANGUAGE)


def number(value: Decimal | float | int | None, places: int | None = None) -> str:
    """A number as the page's language writes it (`komunalka.formats`): Ukrainian ``3 802,822``
    (a narrow no-break space between thousands), English ``3,802.822``."""
    if value is None:
        return "—"
    return formats.number(value, _PAGE_LANGUAGE.get(), places)


def month(period: object) -> str:
    """A billing period (`2026-11`) as the page's language names it: ``листопад 2026``."""
    return formats.month(str(period), _PAGE_LANGUAGE.get())


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
        self.env.filters["month"] = month
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
            "money": lambda amount: format_money(amount, language),
            "lang": language,
            "languages": LANGUAGES,
            "viewer": viewer,
            "csrf_token": csrf_token(request),
            "path": request.url.path,
            **(context or {}),
        }
        chosen = _PAGE_LANGUAGE.set(language)
        try:
            html = self.env.get_template(template).render(values)
        finally:
            _PAGE_LANGUAGE.reset(chosen)
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
