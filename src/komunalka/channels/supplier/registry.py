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
from komunalka.channels.pages.security import PageNotFound
from komunalka.channels.pages.templating import language_of
from komunalka.channels.supplier.common import (
    BOM,
    MEDIA_TYPES,
    Choose,
    Errors,
    Render,
    SignedIn,
    attachment,
    member,
)
from komunalka.channels.supplier.use_cases import SupplierUseCases
from komunalka.domain.errors import DomainError, Violation
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
    async def registry_page(
        request: Request,
        viewer: Viewer,
        choice: SupplierChoice,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        uploads = await use_cases.registry_uploads.recent(member(viewer), choice.supplier.code)
        context = {"uploads": uploads, **extra}
        return render(request, viewer, "supplier/registry.html", choice, context, status_code)

    @router.get("/registry", response_class=HTMLResponse)
    async def registry_form(
        request: Request, viewer: SignedIn, supplier: str | None = None
    ) -> Response:
        return await registry_page(request, viewer, await choose(viewer, supplier), {})

    @router.post("/registry", response_class=HTMLResponse)
    async def upload(
        request: Request,
        viewer: SignedIn,
        file: Annotated[UploadFile | None, File()] = None,
        supplier: str | None = None,
    ) -> Response:
        choice = await choose(viewer, supplier)
        staff = member(viewer)
        filename = (file.filename or "") if file is not None else ""
        try:
            if file is None or not filename:
                raise DomainError.of("portal.file_required")
            kind = kind_of(filename)
            path = await _save(file, kind)
        except DomainError as error:
            extra = {"errors": errors(request, viewer, error)}
            return await registry_page(request, viewer, choice, extra, 400)
        try:
            upload_id = await use_cases.start_registry_upload(staff, choice.supplier.code, filename)
        except BaseException:
            _remove(path)
            raise

        async def job() -> None:
            try:
                await use_cases.run_registry_upload(staff, upload_id, path, filename)
            finally:
                _remove(path)

        jobs.start(f"registry-upload-{upload_id}", job())
        where = f"/supplier/registry/{upload_id}?supplier={choice.supplier.code}"
        return RedirectResponse(where, status_code=303)

    async def found(viewer: Viewer, choice: SupplierChoice, upload_id: int) -> Any:
        try:
            return await use_cases.registry_uploads.get(
                member(viewer), choice.supplier.code, upload_id
            )
        except DomainError as error:
            raise PageNotFound("portal.not_found") from error

    @router.get("/registry/{upload_id}", response_class=HTMLResponse)
    async def upload_page(
        request: Request, viewer: SignedIn, upload_id: int, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        context = {"upload": await found(viewer, choice, upload_id)}
        return render(request, viewer, "supplier/upload.html", choice, context)

    @router.get("/registry/{upload_id}/progress", response_class=HTMLResponse)
    async def upload_progress(
        request: Request, viewer: SignedIn, upload_id: int, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        context = {"upload": await found(viewer, choice, upload_id)}
        return render(request, viewer, "supplier/_upload_status.html", choice, context)

    @router.get("/registry/{upload_id}/report.csv")
    async def upload_report(
        request: Request, viewer: SignedIn, upload_id: int, supplier: str | None = None
    ) -> Response:
        choice = await choose(viewer, supplier)
        upload = await found(viewer, choice, upload_id)
        lang = language_of(request, viewer)

        def describe(v: Violation) -> str:
            return translate(v.code, lang, v.params)

        name = f"{choice.supplier.code}-upload-{upload_id}-report.csv"
        body = BOM + rejected_rows_csv(upload.problems, describe).encode()
        return Response(body, media_type=MEDIA_TYPES["csv"], headers=attachment(name))


async def _save(file: UploadFile, kind: str) -> str:
    """The upload, copied chunk by chunk to a temporary file (never whole in memory)."""
    handle, path = tempfile.mkstemp(prefix="komunalka-registry-", suffix=f".{kind}")
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise DomainError.of("portal.file_too_large", limit=MAX_UPLOAD // 2**20)
                await asyncio.to_thread(out.write, chunk)
        if size == 0:
            raise DomainError.of("portal.file_required")
    except BaseException:
        _remove(path)
        raise
    return path


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
