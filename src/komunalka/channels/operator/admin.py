"""The administrator's pages of the console: staff (``/operator/staff``) and suppliers
(``/operator/suppliers``). Every route is for an active administrator only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from komunalka.application.identity.sign_in import Viewer
from komunalka.application.staff.manage_suppliers import SupplierForm
from komunalka.application.staff.ports import SupplierRecord
from komunalka.channels.ids import BigId, SmallId
from komunalka.channels.operator.reminders import ReminderPages
from komunalka.channels.operator.use_cases import OperatorUseCases
from komunalka.channels.operator.views import ADMINS
from komunalka.channels.pages.routes import add_pages, not_found_page
from komunalka.channels.pages.templating import Pages, language_of
from komunalka.domain.errors import DomainError
from komunalka.domain.ids import ID_MAX, parse_id
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
    return parse_id(text, ID_MAX)  # suppliers.id is an int4 on PostgreSQL


def add_admin_routes(router: APIRouter, use_cases: OperatorUseCases, pages: Pages) -> None:
    StaffPages(use_cases, pages).register(router)
    SupplierPages(use_cases, pages).register(router)
    ReminderPages(use_cases, pages).register(router)


class StaffPages:
    """``/operator/staff``: list, add and edit staff members; one method a route."""

    def __init__(self, use_cases: OperatorUseCases, pages: Pages) -> None:
        self.use_cases = use_cases
        self.pages = pages

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/staff", self.staff_list),
                ("GET", "/staff/new", self.staff_new),
                ("POST", "/staff/new", self.staff_add),
                ("GET", "/staff/{staff_id}", self.staff_edit),
                ("POST", "/staff/{staff_id}", self.staff_update),
            ],
        )

    async def staff_list(self, request: Request, viewer: AdminViewer) -> Response:
        assert viewer.staff is not None
        members = await self.use_cases.list_staff(viewer.staff)
        names = {r.supplier.id: r.supplier.name for r in await _suppliers(self.use_cases, viewer)}
        context = {"members": members, "supplier_names": names}
        return self.pages.render(request, "operator/staff_list.html", context)

    async def staff_new(self, request: Request, viewer: AdminViewer) -> Response:
        return await self._page(request, viewer, None, {"role": StaffRole.CALL_CENTER.value})

    async def staff_add(self, request: Request, viewer: AdminViewer) -> Response:
        fields = (await _form(request))["fields"]
        try:
            role = StaffRole(fields.get("role", ""))
            await self.use_cases.add_staff(
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
            return await self._page(request, viewer, None, fields, errors)
        return RedirectResponse("/operator/staff?saved=1", status_code=303)

    async def staff_edit(self, request: Request, staff_id: BigId, viewer: AdminViewer) -> Response:
        member = await self._member(viewer, staff_id)
        if member is None:
            return _missing(self.pages, request)
        values = {
            "role": member.role.value,
            "district": member.district,
            "supplier_id": str(member.supplier_id or ""),
            "active": "1" if member.active else "",
        }
        return await self._page(request, viewer, member, values)

    async def staff_update(
        self, request: Request, staff_id: BigId, viewer: AdminViewer
    ) -> Response:
        member = await self._member(viewer, staff_id)
        if member is None:
            return _missing(self.pages, request)
        fields = (await _form(request))["fields"]
        try:
            await self.use_cases.update_staff(
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
            return await self._page(request, viewer, member, fields, errors)
        return RedirectResponse("/operator/staff?saved=1", status_code=303)

    async def _member(self, viewer: Viewer, staff_id: int) -> StaffMember | None:
        assert viewer.staff is not None
        members = await self.use_cases.list_staff(viewer.staff)
        return next((m for m in members if m.id == staff_id), None)

    async def _page(
        self,
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
            "suppliers": await _suppliers(self.use_cases, viewer),
            "errors": errors or [],
        }
        status = 400 if errors else 200
        return self.pages.render(request, "operator/staff_form.html", context, status_code=status)


class SupplierPages:
    """``/operator/suppliers``: list, add and edit suppliers; one method a route."""

    def __init__(self, use_cases: OperatorUseCases, pages: Pages) -> None:
        self.use_cases = use_cases
        self.pages = pages

    def register(self, router: APIRouter) -> None:
        add_pages(
            router,
            [
                ("GET", "/suppliers", self.supplier_list),
                ("GET", "/suppliers/new", self.supplier_new),
                ("POST", "/suppliers/new", self.supplier_add),
                ("GET", "/suppliers/{supplier_id}", self.supplier_edit),
                ("POST", "/suppliers/{supplier_id}", self.supplier_update),
            ],
        )

    async def supplier_list(self, request: Request, viewer: AdminViewer) -> Response:
        context = {"records": await _suppliers(self.use_cases, viewer)}
        return self.pages.render(request, "operator/supplier_list.html", context)

    async def supplier_new(self, request: Request, viewer: AdminViewer) -> Response:
        values = {"timezone": DEFAULT_TIMEZONE, "window_rule": "5..-1", "services": []}
        return self._page(request, None, values)

    async def supplier_add(self, request: Request, viewer: AdminViewer) -> Response:
        return await self._save(request, viewer, None)

    async def supplier_edit(
        self, request: Request, supplier_id: SmallId, viewer: AdminViewer
    ) -> Response:
        assert viewer.staff is not None
        try:
            record = await self.use_cases.list_suppliers.one(viewer.staff, supplier_id)
        except DomainError:
            return _missing(self.pages, request)
        s = record.supplier
        values = {
            "code": s.code,
            "name": s.name,
            "window_rule": str(s.window),
            "timezone": s.window.timezone,
            "account_pattern": s.account_pattern,
            "services": list(record.services),
        }
        return self._page(request, record, values)

    async def supplier_update(
        self, request: Request, supplier_id: SmallId, viewer: AdminViewer
    ) -> Response:
        return await self._save(request, viewer, supplier_id)

    async def _save(self, request: Request, viewer: Viewer, supplier_id: int | None) -> Response:
        assert viewer.staff is not None
        record = None
        if supplier_id is not None:
            try:
                record = await self.use_cases.list_suppliers.one(viewer.staff, supplier_id)
            except DomainError:
                return _missing(self.pages, request)
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
            await self.use_cases.save_supplier(viewer.staff, supplier_id, form)
        except DomainError as error:
            errors = self.pages.errors(error, language_of(request, viewer))
            values = {**fields, "services": data["services"]}
            return self._page(request, record, values, errors)
        return RedirectResponse("/operator/suppliers?saved=1", status_code=303)

    def _page(
        self,
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
        template = "operator/supplier_form.html"
        return self.pages.render(request, template, context, status_code=status)


async def _suppliers(use_cases: OperatorUseCases, viewer: Viewer) -> list[SupplierRecord]:
    assert viewer.staff is not None
    return await use_cases.list_suppliers(viewer.staff)


def _errors(error: Exception, language: str) -> list[str]:
    if isinstance(error, DomainError):
        return Pages.errors(error, language)
    return Pages.errors(DomainError.of("operator.bad_role"), language)


def _missing(pages: Pages, request: Request) -> Response:
    return not_found_page(pages, request, "operator.page_not_found")
