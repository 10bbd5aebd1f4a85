"""LoadDemo: the demo suppliers, 50 accounts with meters and a year of history, and a demo
resident with a known API token. Who may call it: an administrator, on a demo database only.
Refuses to run twice (``demo.already_loaded``). The registry goes through ImportRegistry, the
same path a supplier's file takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from komunalka.application.identity.issue_token import IssueToken
from komunalka.application.identity.ports import (
    ResidentProfile,
    ResidentProfileRepository,
    WebLoginRepository,
)
from komunalka.application.shared.actors import Actor
from komunalka.application.shared.ports import (
    AccountRepository,
    AuditLog,
    Clock,
    PasswordHasher,
    StaffRepository,
    SupplierRepository,
)
from komunalka.application.shared.transactions import Transactions
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.ports import RejectedRow
from komunalka.application.system.demo_data import (
    DISTRICTS,
    SHAPES,
    TARIFFS,
    DemoMeter,
    flats,
    suppliers,
)
from komunalka.application.system.ports import MetersBySerial, ReadingsLedger, TariffBook
from komunalka.domain.errors import DomainError
from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.readings import Reading, new_receipt
from komunalka.domain.registry import COLUMNS
from komunalka.domain.services import Channel, Service
from komunalka.domain.staff import StaffMember, StaffRole
from komunalka.domain.tariffs import Tariff
from komunalka.domain.values import format_value

DEMO_TOKEN = "demo-resident-token"  # noqa: S105 - a demo database only, printed on loading
DEMO_RESIDENT = "Демо Мешканець"
HISTORY = 12
CHANNELS = (Channel.TELEGRAM, Channel.VIBER, Channel.WEB, Channel.PHONE, Channel.TELEGRAM)
# The demo resident's accounts: flat 1 whole, flat 3's heat utility (a water heater owner),
# flat 5's water utility (a meter past verification).
LINKED = ((1, None), (3, "kte"), (5, "kvk"))
DEMO_PASSWORD = "komunalka-demo"  # noqa: S105 - a demo database only, printed in the README
DEMO_LOGIN = "demo@komunalka.test"
# Staff of every role: (login, name, role, district, supplier code)
DEMO_STAFF = (
    ("operator@komunalka.test", "Оператор Кол-центру", StaffRole.CALL_CENTER, "", None),
    ("district@komunalka.test", "Оператор Району", StaffRole.DISTRICT, DISTRICTS[0], None),
    ("supplier@komunalka.test", "Працівник Теплоенерго", StaffRole.SUPPLIER, "", "kte"),
    ("admin@komunalka.test", "Адміністратор", StaffRole.ADMINISTRATOR, "", None),
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    meters: list[DemoMeter]
    accounts: int
    readings: int
    token: str
    linked: list[str] = field(default_factory=list)
    # logins of the demo's web sign-ins (resident and staff), all with DEMO_PASSWORD
    logins: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DemoStores:
    """Everything the demo writes besides what ImportRegistry and IssueToken write for it."""

    suppliers: SupplierRepository
    tariffs: TariffBook
    meters: MetersBySerial
    readings: ReadingsLedger
    accounts: AccountRepository
    logins: WebLoginRepository
    profiles: ResidentProfileRepository
    staff: StaffRepository
    audit: AuditLog


class LoadDemo:
    """A seeding tool, not a door's use case: it writes into every feature's storage, so its
    repositories come as one `DemoStores` rather than a dozen constructor arguments."""

    def __init__(
        self,
        transactions: Transactions,
        stores: DemoStores,
        clock: Clock,
        importer: ImportRegistry,
        tokens: IssueToken,
        passwords: PasswordHasher | None = None,
    ) -> None:
        self._transactions = transactions
        self._db = stores
        self._clock = clock
        self._import = importer
        self._tokens = tokens
        self._passwords = passwords

    async def __call__(self) -> DemoReport:
        now = self._clock.now()
        actor = Actor.system(Channel.CLI, "demo data")
        added = await self._suppliers()
        targets = {
            code: (s.window.window_at(now) or s.window.next_window(now)).period
            for code, s in added.items()
        }
        meters = flats(added["kte"].window.local_today(now), following=targets)
        rows = [_registry_row(m, targets[m.supplier].shift(-HISTORY - 1)) for m in meters]
        rejected: list[RejectedRow] = []
        await self._import(actor, COLUMNS, enumerate(rows, start=2), rejected.append)
        if rejected:  # the demo data is ours: a rejected row is a bug here
            raise DomainError.of("demo.invalid", line=rejected[0].line, codes=rejected[0].codes)
        count = await self._history(meters, added, targets)
        issued = await self._tokens(
            actor, new_resident=DEMO_RESIDENT, label="demo", token=DEMO_TOKEN
        )
        linked = await self._link(issued.resident_id, meters, added)
        logins = await self._sign_ins(issued.resident_id, added)
        return DemoReport(
            meters,
            len({(m.supplier, m.account) for m in meters}),
            count,
            issued.token,
            linked,
            logins,
        )

    async def _suppliers(self) -> dict[str, Supplier]:
        """The demo suppliers with their tariffs, by code; refuses a database that has them."""
        db = self._db
        async with self._transactions(write=True) as tx:
            if await db.suppliers.by_code("kte") is not None:
                raise DomainError.of("demo.already_loaded")
            added = {s.code: await db.suppliers.add(s, services) for s, services in suppliers()}
            for code, service, zone, price, since in TARIFFS:
                tariff = Tariff(
                    added[code].id,
                    Service(service),
                    Decimal(price),
                    date.fromisoformat(since),
                    zone,
                    demo=True,
                )
                await db.tariffs.add(tariff)
            await tx.commit()
        return added

    async def _sign_ins(self, resident_id: int, added: dict[str, Supplier]) -> list[str]:
        """The demo resident's web login and a staff member of every role (when a password
        hasher is wired)."""
        if self._passwords is None:
            return []
        hashed = self._passwords.hash(DEMO_PASSWORD)
        now = self._clock.now()
        actor = Actor.system(Channel.CLI, "demo data")
        db = self._db
        async with self._transactions(write=True) as tx:
            await db.logins.add(resident_id, DEMO_LOGIN, hashed, now)
            await db.profiles.save(ResidentProfile(resident_id, contact=DEMO_LOGIN))
            for login, name, role, district, code in DEMO_STAFF:
                supplier_id = added[code].id if code else None
                member = StaffMember(0, login, name, role, district, supplier_id)
                staff_id = await db.staff.add(member, hashed, now)
                await db.audit.record(actor, "staff.add", f"staff:{staff_id}", {}, now)
            await tx.commit()
        return [DEMO_LOGIN, *(s[0] for s in DEMO_STAFF)]

    async def _history(
        self, meters: list[DemoMeter], added: dict[str, Supplier], targets: dict[str, BillingPeriod]
    ) -> int:
        new: list[Reading] = []
        async with self._transactions(write=True) as tx:
            for m in meters:
                supplier = added[m.supplier]
                (ctx,) = await self._db.meters.by_serials(supplier.id, [m.serial])
                for step in range(1, HISTORY + 1):
                    period = targets[m.supplier].shift(step - HISTORY - 1)
                    window = supplier.window.window_for(period)
                    # residents send on different days of the window and by different doors
                    days = max((window.closes_at - window.opens_at).days - 1, 1)
                    day = (m.flat * 5 + step * 3 + len(m.serial)) % days
                    at = window.opens_at + timedelta(days=day, hours=8 + (m.flat + step) % 12)
                    channel = CHANNELS[(step + m.flat) % len(CHANNELS)]
                    for register, series in m.values.items():
                        new.append(
                            Reading(
                                ctx.id,
                                register,
                                period,
                                series[step],
                                at,
                                channel,
                                new_receipt(period),
                            )
                        )
            await self._db.readings.add(new)
            await tx.commit()
        return len(new)

    async def _link(
        self, resident_id: int, meters: list[DemoMeter], added: dict[str, Supplier]
    ) -> list[str]:
        wanted = {
            (m.supplier, m.account)
            for m in meters
            for flat, code in LINKED
            if m.flat == flat and code in (None, m.supplier)
        }
        linked = []
        async with self._transactions(write=True) as tx:
            for code, number in sorted(wanted):
                account = await self._db.accounts.by_number(added[code].id, number)
                assert account is not None
                await self._db.accounts.link(resident_id, account.id, "demo", self._clock.now())
                linked.append(f"{code}:{number}")
            await tx.commit()
        return linked


def _registry_row(m: DemoMeter, period: BillingPeriod) -> dict[str, str]:
    digits, decimals, _ = SHAPES[m.service]
    return {
        "supplier": m.supplier,
        "account": m.account,
        "holder": m.holder,
        "address": m.address,
        "district": m.district,
        "service": m.service,
        "serial": m.serial,
        "registers": "|".join(m.registers),
        "digits": str(digits),
        "decimals": str(decimals),
        "verification_due": m.verification_due.isoformat(),
        "status": "active",
        "period": str(period),
        "values": "|".join(format_value(m.values[r][0], decimals) for r in m.registers),
    }
