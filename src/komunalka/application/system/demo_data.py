"""Demo data: Kyiv's suppliers with their real windows, and flats with meters and a year of history.

Account-number patterns, names and addresses are made up; windows follow the suppliers' public
rules (see shared/design/DOMAIN.md). Deterministic: the same seed gives the same flats.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from komunalka.domain.meters import Supplier
from komunalka.domain.periods import BillingPeriod
from komunalka.domain.windows import WindowRule

SEED = 2026
FLATS = 13
GAS_FLATS = 11  # 13 flats x 3 suppliers + 11 gas accounts = 50 accounts

# Every demo supplier takes readings 3 days early, so that one pass covers gas, electricity, heat
# and water together: on the month's last three days all four take readings, each for that
# month (gas's window of the 1st counts for the month before, electricity's opens before the
# month's end). Not at the month's start: on the 2nd cold water (from the 10th) would need 8 days
# (ADR 0018; tests/unit/domain/test_early_windows.py checks both).
DEMO_EARLY_DAYS = 3
SUPPLIERS = (
    # code, name, window rule, account pattern, services
    ("kte", "Київтеплоенерго", f"5..-1 early {DEMO_EARLY_DAYS}", r"\d{10}", ("heat", "hot_water")),
    ("kvk", "Київводоканал", f"10..-1 early {DEMO_EARLY_DAYS}", r"\d{8}", ("cold_water",)),
    ("yasno", "YASNO", f"-2..3 early {DEMO_EARLY_DAYS}", r"\d{7}", ("electricity",)),
    ("naftogaz", "Нафтогаз України", f"1..5@-1 early {DEMO_EARLY_DAYS}", r"\d{11}", ("gas",)),
)

# Published household prices (shared/design/DOMAIN.md), loaded as demo values: electricity
# 4.32 UAH/kWh from June 2024 with a two-zone meter's night at half price; gas 7.96 UAH/m3.
# Heat and water: figures of the order of Kyiv's household prices (heat about 1,654 UAH/Gcal,
# hot water about 105 UAH/m3, cold water with sewage about 30 UAH/m3), not checked against a
# published decision: demo values only, as every tariff here is marked.
# supplier, service, zone, price, effective from
TARIFFS = (
    ("kte", "heat", "*", "1654.41", "2024-06-01"),
    ("kte", "hot_water", "*", "105.04", "2024-06-01"),
    ("kvk", "cold_water", "*", "30.14", "2024-06-01"),
    ("yasno", "electricity", "*", "4.32", "2024-06-01"),
    ("yasno", "electricity", "night", "2.16", "2024-06-01"),
    ("naftogaz", "gas", "*", "7.96", "2024-06-01"),
)

SURNAMES = (
    "Шевченко",
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Кравченко",
    "Олійник",
    "Мельник",
    "Поліщук",
    "Гриценко",
    "Савченко",
    "Руденко",
    "Мороз",
    "Лисенко",
)
NAMES = (
    ("Олена", "Іванівна"), ("Андрій", "Петрович"), ("Тетяна", "Михайлівна"),
    ("Микола", "Васильович"), ("Ірина", "Олексіївна"), ("Сергій", "Степанович"),
    ("Наталія", "Григорівна"), ("Олег", "Іванович"),
)  # fmt: skip
STREETS = ("вул. Хрещатик", "просп. Перемоги", "вул. Саксаганського", "вул. Лук'янівська")
DISTRICTS = ("Шевченківський", "Печерський", "Голосіївський", "Оболонський")

# service: (digits, decimals, mean monthly use; heat: in a month of full heating)
SHAPES = {
    "heat": (5, 3, Decimal("1.0")),
    "hot_water": (5, 3, Decimal("2.5")),
    "cold_water": (5, 3, Decimal("4.0")),
    "electricity": (6, 0, Decimal("180")),
    "gas": (5, 2, Decimal("45")),
}


# The use of each month (January first) against the mean: Kyiv heats from mid-October to early
# April, so no heat from May to September; water is steady; electricity somewhat higher in
# winter (light and heaters). Gas (cooking, a water heater) is taken as steady too.
_WINTER = ("1.25", "1.25", "1.1", "1.0", "0.9", "0.9", "0.9", "0.9", "0.9", "1.0", "1.1", "1.25")
_HEATING = ("1.5", "1.35", "1.0", "0.15", "0", "0", "0", "0", "0", "0.45", "1.1", "1.4")
SEASONS: dict[str, tuple[Decimal, ...]] = {
    "heat": tuple(Decimal(f) for f in _HEATING),
    "electricity": tuple(Decimal(f) for f in _WINTER),
}
STEADY = tuple(Decimal(1) for _ in range(12))


def season(service: str, month: int) -> Decimal:
    """The share of the mean monthly use in `month` (1-12)."""
    return SEASONS.get(service, STEADY)[month - 1]


def suppliers() -> list[tuple[Supplier, tuple[str, ...]]]:
    return [
        (Supplier(0, code, name, WindowRule.parse(rule), pattern), services)
        for code, name, rule, pattern, services in SUPPLIERS
    ]


@dataclass(frozen=True, slots=True)
class DemoMeter:
    flat: int
    supplier: str
    account: str
    holder: str
    address: str
    district: str
    service: str
    serial: str
    registers: tuple[str, ...]
    verification_due: date
    # values per register for 13 periods, oldest first
    values: dict[str, list[Decimal]]
    note: str = ""


def flats(
    today: date, seed: int = SEED, following: Mapping[str, BillingPeriod] | None = None
) -> list[DemoMeter]:
    """Every demo meter, each with 13 periods of values (the oldest first); `following` is the
    period after each supplier's last (so the use of each period follows its month's season),
    by default today's month for every supplier."""
    rng = random.Random(seed)
    result: list[DemoMeter] = []
    for flat in range(1, FLATS + 1):
        home = _Flat(flat, rng, today, following or {})
        home.meter(
            "kte", "hot_water", 1, steady=flat == 3, note="water heater" if flat == 3 else ""
        )
        if flat <= 4:
            home.meter("kte", "heat", 2)
        if flat == 5:
            home.meter(
                "kvk", "cold_water", 1, due=today - timedelta(days=40), note="verification overdue"
            )
        elif flat == 1:  # the demo resident's: the notice 30 days ahead shows
            home.meter("kvk", "cold_water", 1, soon=20, note="verification soon")
        else:
            home.meter("kvk", "cold_water", 1)
        if flat % 2 == 0:
            home.meter("kvk", "cold_water", 2)
        zones = ("T1",) if flat % 2 else ("day", "night")
        home.meter("yasno", "electricity", 1, (*zones, "total") if flat == 2 else zones)
        if flat <= GAS_FLATS:
            home.meter("naftogaz", "gas", 1)
        result += home.meters
    return result


class _Flat:
    def __init__(
        self, flat: int, rng: random.Random, today: date, following: Mapping[str, BillingPeriod]
    ) -> None:
        self.flat, self.rng, self.today = flat, rng, today
        self.following = following
        given, patronymic = rng.choice(NAMES)
        self.holder = f"{SURNAMES[flat - 1]} {given} {patronymic}"
        self.address = f"Київ, {STREETS[flat % len(STREETS)]}, {10 + flat}, кв. {flat * 7}"
        self.district = DISTRICTS[flat % len(DISTRICTS)]
        self.accounts = {
            "kte": f"{1000000000 + flat * 1357:010d}",
            "kvk": f"{20000000 + flat * 4243:08d}",
            "yasno": f"{3000000 + flat * 917:07d}",
            "naftogaz": f"{40000000000 + flat * 7919:011d}",
        }
        self.meters: list[DemoMeter] = []

    def meter(
        self,
        supplier: str,
        service: str,
        n: int,
        registers: tuple[str, ...] = ("T1",),
        due: date | None = None,
        note: str = "",
        steady: bool = False,
        soon: int | None = None,
    ) -> None:
        """`steady`: nothing used (a water heater owner's hot water, sent unchanged monthly);
        `soon`: its verification due in that many days."""
        _, decimals, mean = SHAPES[service]
        step = Decimal(1).scaleb(-decimals)
        values: dict[str, list[Decimal]] = {}
        # the period of series[0]; series[i + 1] adds the use of the period after series[i]
        first = self.following.get(supplier, BillingPeriod(self.today.year, self.today.month))
        first = first.shift(-13)
        for register in (r for r in registers if r != "total"):
            value = Decimal(self.rng.randint(100, 5000))
            series = []
            for i in range(13):
                series.append(value.quantize(step))
                if not steady:
                    share = Decimal("0.4") if register == "night" else Decimal(1)
                    # drawn in every month, heated or not, so the flats stay the same
                    spread = Decimal(str(round(self.rng.uniform(0.6, 1.4), 3)))
                    value += mean * share * season(service, first.shift(i + 1).month) * spread
            values[register] = series
        if "total" in registers:
            zones = [values[z] for z in registers if z != "total"]
            values["total"] = [sum(month, Decimal(0)) for month in zip(*zones, strict=True)]
        serial = f"{service[:2].upper()}{self.flat:03d}{n}{self.rng.randint(10000, 99999)}"
        verify = due or self.today + timedelta(days=self.rng.randint(200, 2000))
        if soon is not None:  # drawn all the same, so the flats after it stay as they were
            verify = self.today + timedelta(days=soon)
        self.meters.append(
            DemoMeter(
                self.flat,
                supplier,
                self.accounts[supplier],
                self.holder,
                self.address,
                self.district,
                service,
                serial,
                registers,
                verify,
                values,
                note,
            )
        )
