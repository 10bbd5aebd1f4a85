"""The portal's registry uploads: the form, the upload (copied to a temporary file and run in the
background), its progress and its report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.suppliers.files import JobRunner
from komunalka.application.suppliers.formats import rejected_rows_csv
from komunalka.application.suppliers.supplier_access import SupplierChoice
from komunalka.application.suppliers.upload_registry import kind_of
from komunalka.channels.ids import BigId
from komunalka.channels.pages.routes import add_pages
from komunalka.channels.pages.security import PageNotFound
from komunalka.channels.pages.templating import language_of
from komunalka.channels.supplier.common import (
    BOM,
    MEDIA_TYPES,
    Choose,
    Errors,
    PortalPages,
    Render,
    SignedIn,
    attachment,
    member,
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError, Violation
from komunalka.domain.staff import StaffMember
from komunalka.i18n import translate

# Uploads above this are refused; a city-wide registry of a million rows is about 150 MB.
MAX_UPLOAD = 300 * 1024 * 1024
CHUNK = 1024 * 1024


def add_registry_routes(
    router: APIRouter,
    use_cases: SupplierUseCases,
    choose: Choose,
    render: Render,
    errors: Errors,
    jobs: JobRunner,
) -> None:
    RegistryPages(use_cases, choose, render, errors, jobs).register(router)


class RegistryPages(PortalPages):
    """The upload form, the upload, its page, its progress and its report; one method a route."""

    def __init__(
        self,
        use_cases: SupplierUseCases,
        choose: Choose,
        render: Render,
        errors: Errors,
        jobs: JobRunner,
    ) -> None:
        super().__init__(use_cases, choose, render, errors)
        self.jobs = jobs

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/registry", self.registry_form),
                ("POST", "/registry", self.upload),
                ("GET", "/registry/{upload_id}", self.upload_page),
                ("GET", "/registry/{upload_id}/progress", self.upload_progress),
            ],
        )
        router.add_api_route(
            "/registry/{upload_id}/report.csv", self.upload_report, methods=["GET"]
        )

    async def registry_form(
        self, request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await self._page(request, viewer, await self.choose(viewer, supplier), {})

    async def upload(
        self,
        request: Request,
        viewer: SignedIn,
        file: Annotated[UploadFile | None, File()] = None,
        supplier: str | None = None,
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        staff = member(viewer)
        filename = (file.filename or "") if file is not None else ""
        try:
            if file is None or not filename:
                raise DomainError.of("portal.file_required")
            kind = kind_of(filename)
            path = await _save(file, kind)
        except DomainError as error:
            extra = {"errors": self.errors(request, viewer, error)}
            return await self._page(request, viewer, choice, extra, 400)
        try:
            upload_id = await self.use_cases.start_registry_upload(
                staff, choice.supplier.code, filename
            )
        except BaseException:
            _remove(path)
            raise
        self.jobs.start(f"registry-upload-{upload_id}", self._run(staff, upload_id, path, filename))
        where = f"/supplier/registry/{upload_id}?supplier={choice.supplier.code}"
        return RedirectResponse(where, status_code=303)

    async def upload_page(
        self, request: Request, viewer: SignedIn, upload_id: BigId, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        context = {"upload": await self._found(viewer, choice, upload_id)}
        return self.render(request, viewer, "supplier/upload.html", choice, context)

    async def upload_progress(
        self, request: Request, viewer: SignedIn, upload_id: BigId, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        context = {"upload": await self._found(viewer, choice, upload_id)}
        return self.render(request, viewer, "supplier/_upload_status.html", choice, context)

    async def upload_report(
        self, request: Request, viewer: SignedIn, upload_id: BigId, supplier: str | None = None
    ) -> Response:
        choice = await self.choose(viewer, supplier)
        upload = await self._found(viewer, choice, upload_id)
        lang = language_of(request, viewer)

        def describe(v: Violation) -> str:
            return translate(v.code, lang, v.params)

        name = f"{choice.supplier.code}-upload-{upload_id}-report.csv"
        body = BOM + rejected_rows_csv(upload.problems, describe).encode()
        return Response(body, media_type=MEDIA_TYPES["csv"], headers=attachment(name))

    async def _run(self, staff: StaffMember, upload_id: int, path: str, filename: str) -> None:
        """The upload's background job; the temporary file goes when it ends."""
        try:
            await self.use_cases.run_registry_upload(staff, upload_id, path, filename)
        finally:
            _remove(path)

    async def _found(self, viewer: Viewer, choice: SupplierChoice, upload_id: int) -> Any:
        try:
            return await self.use_cases.registry_uploads.get(
                member(viewer), choice.supplier.code, upload_id
            )
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error

    async def _page(
        self,
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        code = choice.supplier.code
        uploads = await self.use_cases.registry_uploads.recent(member(viewer), code)
        context = {"uploads": uploads, **extra}
        return self.render(request, viewer, "supplier/registry.html", choice, context, status_code)


async def _save(file: UploadFile, kind: str) -> str:
    """The upload, copied chunk by chunk to a temporary file (never whole in memory). An empty
    one is refused by the registry reader, as on the command line (``registry.empty_file``)."""
    handle, path = tempfile.mkstemp(prefix="komunalka-registry-", suffix=f".{kind}")
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise DomainError.of("portal.file_too_large", limit=MAX_UPLOAD // 2**20)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        _remove(path)
        raise
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
