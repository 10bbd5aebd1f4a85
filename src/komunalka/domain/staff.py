"""Staff and what each role may see: the whole city, a district, or one supplier."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from komunalka.domain.meters import Account


class StaffRole(StrEnum):
    # the city's call center: every account, by phone
    CALL_CENTER = "call_center"
    # a district service center: the accounts at addresses of its district
    DISTRICT = "district"
    # a supplier's staff: its own accounts, window, tariffs and registry
    SUPPLIER = "supplier"
    ADMINISTRATOR = "admin"

    @property
    def is_operator(self) -> bool:
        """Takes readings for callers in the operator console."""
        return self in (StaffRole.CALL_CENTER, StaffRole.DISTRICT, StaffRole.ADMINISTRATOR)


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    login: str
    name: str
    role: StaffRole
    district: str = ""
    supplier_id: int | None = None
    active: bool = True

    def can_see(self, account: Account) -> bool:
        """Whether this staff member may see (and act on) the account."""
        if not self.active:
            return False
        if self.role in (StaffRole.CALL_CENTER, StaffRole.ADMINISTRATOR):
            return True
        if self.role is StaffRole.DISTRICT:
            return bool(self.district) and account.district == self.district
        return self.supplier_id is not None and account.supplier_id == self.supplier_id

    def can_manage_supplier(self, supplier_id: int) -> bool:
        """Window rule, tariffs, registry, exports and tokens of a supplier."""
        if not self.active:
            return False
        if self.role is StaffRole.ADMINISTRATOR:
            return True
        return self.role is StaffRole.SUPPLIER and self.supplier_id == supplier_id


def staff_problems(role: StaffRole, district: str, supplier_id: int | None) -> list[str]:
    """Codes of what a staff member's scope lacks or must not have for the role."""
    problems = []
    if role is StaffRole.DISTRICT and not district.strip():
        problems.append("staff.district_required")
    if role is StaffRole.SUPPLIER and supplier_id is None:
        problems.append("staff.supplier_required")
    if role is not StaffRole.SUPPLIER and supplier_id is not None:
        problems.append("staff.supplier_not_allowed")
    return problems
