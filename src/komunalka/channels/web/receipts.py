"""Signed receipts on the web (docs/adr/0023-signed-receipts.md): the QR code and the short code
under a resident's receipts, a printable page per receipt, and the public page that says whether
a receipt is genuine (by its number, or by the token its QR code carries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.readings.verify_receipt import ReceiptCheck, SignedReceipt
from komunalka.application.shared.actors import Actor
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import client_address, current_viewer, require_resident
from komunalka.channels.web.common import Cabinet
from komunalka.domain.errors import DomainError
from komunalka.i18n import translate

Resident = Annotated[Viewer, Depends(require_resident)]

MAX_INPUT = 2000


@dataclass(frozen=True, slots=True)
class ReceiptCard:
    """A signed receipt as a page shows it."""

    signed: SignedReceipt
    token: str
    link: str  # the public check, with the token: what the QR code opens
    qr: Markup  # inline SVG (no style attribute: the pages' CSP allows none)


def verify_link(web_url: str, token: str) -> str:
    return f"{web_url.rstrip('/')}/receipts/verify?t={quote(token, safe='.')}"


def qr_svg(text: str, title: str) -> Markup:
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(scale=3, svgclass="qr", lineclass=None, omitsize=True, title=title)
    return Markup(svg)  # noqa: S704 - segno writes the SVG; `title` is escaped by segno


def cards(web_url: str, signed: Sequence[SignedReceipt], language: str) -> list[ReceiptCard]:
    made = []
    for s in signed:
        token = s.token.text()
        link = verify_link(web_url, token)
        title = translate("receipt.qr_title", language, {"receipt": s.held.record.receipt})
        made.append(ReceiptCard(s, token, link, qr_svg(link, title)))
    return made


async def receipt_cards(
    cab: Cabinet, request: Request, actor: Actor, numbers: Sequence[str]
) -> list[ReceiptCard]:
    """The signed receipts of these numbers the actor may see, ready for a page."""
    signed = await cab.use_cases.show_receipts(actor, numbers)
    return cards(cab.web_url, signed, cab.language(request))


def add_receipt_routes(router: APIRouter, cab: Cabinet) -> None:
    ReceiptPages(cab).register(router)


class ReceiptPages:
    """The public check and the printable receipt; one method a route."""

    def __init__(self, cab: Cabinet) -> None:
        self.cab = cab
        self.pages = cab.pages
        self.uc = cab.use_cases

    def register(self, router: APIRouter) -> None:
        # the check first: `/receipts/verify` is no receipt number
        add_pages(
            router,
            [
                ("GET", "/receipts/verify", self.verify),
                ("GET", "/receipts/{receipt}", self.printable),
            ],
        )

    async def verify(self, request: Request, code: str = "", t: str = "") -> Response:
        """Public: `code` (typed: a number, a token or the QR code's link) or `t` (the QR
        code's token)."""
        asked = (t or code)[: MAX_INPUT + 1]
        viewer = await current_viewer(request)
        language = self.cab.language(request, viewer)
        context: dict[str, object] = {"code": code[:MAX_INPUT] if not t else ""}
        if not asked.strip():
            return self.pages.render(request, "web/verify_receipt.html", context, viewer=viewer)
        try:
            check = await self.uc.verify_receipt(asked, client_address(request))
        except DomainError as error:
            context["errors"] = self.pages.errors(error, language)
            status = 429 if error.code == "receipt.too_many" else 400
            return self.pages.render(
                request, "web/verify_receipt.html", context, status_code=status, viewer=viewer
            )
        context["check"] = check
        context["verdict"] = verdict_words(check, language)
        return self.pages.render(request, "web/verify_receipt.html", context, viewer=viewer)

    async def printable(self, request: Request, viewer: Resident, receipt: str) -> Response:
        found = await receipt_cards(self.cab, request, viewer.actor, [receipt[:20]])
        if not found:
            return self.cab.not_found(request, viewer)
        context = {
            "card": found[0],
            "verify_url": f"{self.cab.web_url.rstrip('/')}/receipts/verify",
        }
        return self.pages.render(request, "web/receipt.html", context, viewer=viewer)


def verdict_words(check: ReceiptCheck, language: str) -> str:
    """The check's answer in one sentence."""
    code = f"receipt.verdict_{check.verdict.value}"
    if check.held is not None and check.verdict.value == "genuine":
        code = f"receipt.verdict_genuine_{check.held.value}"
    return translate(code, language, {"key": check.key_id or ""})
