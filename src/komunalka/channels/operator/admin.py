"""The administrator's pages of the console: staff (``/operator/staff``) and suppliers
(``/operator/suppliers``). Every route is for an active administrator only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.staff.manage_suppliers import SupplierForm
from komunalka.application.staff.ports import SupplierRecord
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.operator.views import ADMINS
from komunalka.channels.pages.routes import not_found_page
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.domain.errors import DomainError
from komunalka.domain.services import Service
from komunalka.domain.staff import StaffMember, StaffRole
from komunalka.domain.windows import DEFAULT_TIMEZONE

AdminViewer = Annotated[Viewer, Depends(ADMINS)]


async def _form(request: Request) -> dict[str, Any]:
    data = await request.form()
    return {
        "fields": {k: v for k, v in data.items() if isinstance(v, str)},
        "services": [v for v in data.getlist("services") if isinstance(v, str)],
    }


def _supplier_id(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def add_admin_routes(router: APIRouter, use_cases: OperatorUseCases, pages: Pages) -> None:
    async def suppliers(viewer: Viewer) -> list[SupplierRecord]:
        assert viewer.staff is not None
        return await use_cases.list_suppliers(viewer.staff)

    async def staff_page(
        request: Request,
        viewer: Viewer,
        member: StaffMember | None,
        values: dict[str, str],
        errors: list[str] | None = None,
    ) -> Response:
        context = {
            "member": member,
            "values": values,
            "roles": list(StaffRole),
            "suppliers": await suppliers(viewer),
            "errors": errors or [],
        }
        status = 400 if errors else 200
        return pages.render(request, "operator/staff_form.html", context, status_code=status)

    @router.get("/staff", response_class=HTMLResponse)
    async def staff_list(request: Request, viewer: AdminViewer) -> Response:
        assert viewer.staff is not None
        members = await use_cases.list_staff(viewer.staff)
        names = {r.supplier.id: r.supplier.name for r in await suppliers(viewer)}
        context = {"members": members, "supplier_names": names}
        return pages.render(request, "operator/staff_list.html", context)

    @router.get("/staff/new", response_class=HTMLResponse)
    async def staff_new(request: Request, viewer: AdminViewer) -> Response:
        return await staff_page(request, viewer, None, {"role": StaffRole.CALL_CENTER.value})

    @router.post("/staff/new", response_class=HTMLResponse)
    async def staff_add(request: Request, viewer: AdminViewer) -> Response:
        fields = (await _form(request))["fields"]
        try:
            role = StaffRole(fields.get("role", ""))
            await use_cases.add_staff(
                viewer.actor,
                viewer.staff,
                fields.get("login", ""),
                fields.get("name", ""),
                role,
                fields.get("password", ""),
                fields.get("district", ""),
                _supplier_id(fields.get("supplier_id", "")),
            )
        except (DomainError, ValueError) as error:
            errors = _errors(error, language_of(request, viewer))
            return await staff_page(request, viewer, None, fields, errors)
        return RedirectResponse("/operator/staff?saved=1", status_code=303)

    async def _member(viewer: Viewer, staff_id: int) -> StaffMember | None:
        assert viewer.staff is not None
        members = await use_cases.list_staff(viewer.staff)
        return next((m for m in members if m.id == staff_id), None)

    @router.get("/staff/{staff_id}", response_class=HTMLResponse)
    async def staff_edit(request: Request, staff_id: int, viewer: AdminViewer) -> Response:
        member = await _member(viewer, staff_id)
        if member is None:
            return _missing(pages, request)
        values = {
            "role": member.role.value,
            "district": member.district,
            "supplier_id": str(member.supplier_id or ""),
            "active": "1" if member.active else "",
        }
        return await staff_page(request, viewer, member, values)

    @router.post("/staff/{staff_id}", response_class=HTMLResponse)
    async def staff_update(request: Request, staff_id: int, viewer: AdminViewer) -> Response:
        member = await _member(viewer, staff_id)
        if member is None:
            return _missing(pages, request)
        fields = (await _form(request))["fields"]
        try:
            await use_cases.update_staff(
                viewer.actor,
                viewer.staff,
                staff_id,
                role=StaffRole(fields.get("role", "")),
                district=fields.get("district", ""),
                supplier_id=_supplier_id(fields.get("supplier_id", "")),
                active=bool(fields.get("active")),
                password=fields.get("password") or None,
            )
        except (DomainError, ValueError) as error:
            errors = _errors(error, language_of(request, viewer))
            return await staff_page(request, viewer, member, fields, errors)
        return RedirectResponse("/operator/staff?saved=1", status_code=303)

    @router.get("/suppliers", response_class=HTMLResponse)
    async def supplier_list(request: Request, viewer: AdminViewer) -> Response:
        context = {"records": await suppliers(viewer)}
        return pages.render(request, "operator/supplier_list.html", context)

    def supplier_page(
        request: Request,
        record: SupplierRecord | None,
        values: dict[str, Any],
        errors: list[str] | None = None,
    ) -> Response:
        context = {
            "record": record,
            "values": values,
            "all_services": [s.value for s in Service],
            "errors": errors or [],
        }
        status = 400 if errors else 200
        return pages.render(request, "operator/supplier_form.html", context, status_code=status)

    @router.get("/suppliers/new", response_class=HTMLResponse)
    async def supplier_new(request: Request, viewer: AdminViewer) -> Response:
        values = {"timezone": DEFAULT_TIMEZONE, "window_rule": "5..-1", "services": []}
        return supplier_page(request, None, values)

    @router.post("/suppliers/new", response_class=HTMLResponse)
    async def supplier_add(request: Request, viewer: AdminViewer) -> Response:
        return await _save(request, viewer, None)

    @router.get("/suppliers/{supplier_id}", response_class=HTMLResponse)
    async def supplier_edit(request: Request, supplier_id: int, viewer: AdminViewer) -> Response:
        assert viewer.staff is not None
        try:
            record = await use_cases.list_suppliers.one(viewer.staff, supplier_id)
        except DomainError:
            return _missing(pages, request)
        s = record.supplier
        values = {
            "code": s.code,
            "name": s.name,
            "window_rule": str(s.window),
            "timezone": s.window.timezone,
            "account_pattern": s.account_pattern,
            "services": list(record.services),
        }
        return supplier_page(request, record, values)

    @router.post("/suppliers/{supplier_id}", response_class=HTMLResponse)
    async def supplier_update(request: Request, supplier_id: int, viewer: AdminViewer) -> Response:
        return await _save(request, viewer, supplier_id)

    async def _save(request: Request, viewer: Viewer, supplier_id: int | None) -> Response:
        assert viewer.staff is not None
        record = None
        if supplier_id is not None:
            try:
                record = await use_cases.list_suppliers.one(viewer.staff, supplier_id)
            except DomainError:
                return _missing(pages, request)
        data = await _form(request)
        fields = data["fields"]
        form = SupplierForm(
            code=fields.get("code", ""),
            name=fields.get("name", ""),
            window_rule=fields.get("window_rule", ""),
            timezone=fields.get("timezone", ""),
            account_pattern=fields.get("account_pattern", ""),
            services=data["services"],
        )
        try:
            await use_cases.save_supplier(viewer.staff, supplier_id, form)
        except DomainError as error:
            errors = pages.errors(error, language_of(request, viewer))
            return supplier_page(request, record, {**fields, "services": data["services"]}, errors)
        return RedirectResponse("/operator/suppliers?saved=1", status_code=303)


def _errors(error: Exception, language: str) -> list[str]:
    if isinstance(error, DomainError):
        return Pages.errors(error, language)
    return Pages.errors(DomainError.of("operator.bad_role"), language)


def _missing(pages: Pages, request: Request) -> Response:
    return not_found_page(pages, request, "operator.page_not_found")
