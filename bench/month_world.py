"""The simulated month's world (bench/month.py): the four demo suppliers' registries, the
residents, and the settings and nginx configuration of the deployment rendered for 127.0.0.1.

Resident i (0 <= i < N) has three meters: an even i a Київтеплоенерго account (hot water, heat)
and a YASNO account (electricity); an odd i a Київводоканал account (cold water), a Нафтогаз
account (gas) and a YASNO account. Every meter has a reading of 1000 for the month before the
run's in the registry; every supplier's window is set open from the 1st to today.
Groups by i % 20: 1 types its readings in Telegram (its Київводоканал account linked to its
chat), 3 and 5 get reminders only (Telegram, Viber), every other resident's meters take
readings through the REST API (the demo resident's token: its accounts linked to it).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from support import ROOT, Database, komunalka, sql

# The month of the run (Kyiv's calendar), as komunalka stores a period: year * 12 + month - 1;
# the registries carry a reading of the month before.
_TODAY = datetime.now(ZoneInfo("Europe/Kyiv"))
PERIOD_INDEX = _TODAY.year * 12 + _TODAY.month - 1
PREVIOUS = f"{(PERIOD_INDEX - 1) // 12}-{(PERIOD_INDEX - 1) % 12 + 1:02d}"
TELEGRAM_DOOR, TELEGRAM_REMINDED, VIBER_REMINDED = 1, 3, 5
CHAT_BASE = 500_000_000
SUPPLIER_TOKENS = {
    "kvk": "kms_month-kvk-pull-token-0123456789",
    "naftogaz": "kms_month-gas-pull-token-0123456789",
}
DEMO_TOKEN = "demo-resident-token"


def accounts(i: int) -> list[tuple[str, str, tuple[str, ...]]]:
    """Resident i's (supplier, account number, services)."""
    if i % 2 == 0:  # kte's base clear of the demo's 1000000000 + 1357 n (shared accounts)
        return [("kte", f"{1_100_000_000 + i}", ("hot_water", "heat")), _yasno(i)]
    return [
        ("kvk", f"{10_000_000 + i}", ("cold_water",)),
        ("naftogaz", f"{10_000_000_000 + i}", ("gas",)),
        _yasno(i),
    ]


def _yasno(i: int) -> tuple[str, str, tuple[str, ...]]:
    return ("yasno", f"{1_000_000 + i}", ("electricity",))


def write_registries(workdir: Path, residents: int) -> dict[str, Path]:
    """One registry file per supplier (as each supplier sends its own)."""
    files = {code: workdir / f"registry-{code}.csv" for code in ("kte", "kvk", "yasno", "naftogaz")}
    handles = {code: path.open("w", newline="", encoding="utf-8") for code, path in files.items()}
    writers = {code: csv.writer(h, lineterminator="\n") for code, h in handles.items()}
    from support import REGISTRY_COLUMNS

    for writer in writers.values():
        writer.writerow(REGISTRY_COLUMNS)
    for i in range(residents):
        for code, number, services in accounts(i):
            for service in services:
                writers[code].writerow(_row(code, number, service, i))
    for handle in handles.values():
        handle.close()
    return files


def _row(code: str, number: str, service: str, i: int) -> tuple[str, ...]:
    return (
        code, number, "Тестенко Іван", f"Київ, вул. Хрещатик, {i % 200 + 1}, кв. {i % 300 + 1}",
        "Шевченківський", service, f"{service[:2].upper()}{i:09d}", "T1", "6", "3",
        "2031-01-01", "active", PREVIOUS, "1000", "",
    )  # fmt: skip


def write_changed(source: Path, target: Path, every: int) -> int:
    """The mid-month re-import: the same registry, every `every`-th meter's verification date
    moved; how many rows changed."""
    changed = 0
    with source.open(encoding="utf-8") as inp, target.open("w", encoding="utf-8") as out:
        for n, line in enumerate(inp):
            if n and n % every == 0:
                line = line.replace("2031-01-01", "2032-06-30")
                changed += 1
            out.write(line)
    return changed


def seed_residents(db: Database, residents: int, first_account: int) -> None:
    """Links, chats and reminder consent in SQL (setup, as the bots would have written them);
    `first_account` is the first account id the registries made."""
    demo = sql(db, "SELECT resident_id FROM api_tokens WHERE token_hash = $1", _hash(DEMO_TOKEN))
    sql(
        db,
        """INSERT INTO account_links (resident_id, account_id, proof, linked_at)
           SELECT $1::bigint, a.id, 'month', now() FROM accounts a
           WHERE a.id >= $2 AND (a.number::bigint % 20) NOT IN (1, 3, 5)
           ON CONFLICT DO NOTHING""",
        demo[0][0],
        first_account,
    )
    sql(
        db,
        """WITH r AS (INSERT INTO residents (name, created_at)
                      SELECT 'month ' || g, now() FROM generate_series(0, $1::bigint - 1) g
                      WHERE g % 20 IN (1, 3, 5)
                      RETURNING id, substr(name, 7)::bigint AS i),
                p AS (INSERT INTO resident_profiles (resident_id, language, reminder_channel,
                                                     reminder_consent_at, contact)
                      SELECT id, 'uk',
                             CASE i % 20 WHEN 5 THEN 'viber' WHEN 3 THEN 'telegram'
                                  ELSE 'none' END,
                             CASE WHEN i % 20 = 1 THEN NULL ELSE now() END, ''
                      FROM r RETURNING resident_id),
                d AS (INSERT INTO identities (channel, external_id, resident_id, language,
                                              reminders, created_at)
                      SELECT CASE i % 20 WHEN 5 THEN 'viber' ELSE 'telegram' END,
                             ($2::bigint + i)::text, id, 'uk', i % 20 <> 1, now()
                      FROM r RETURNING resident_id),
                -- resident i's accounts: every base is a multiple of 1,000,000 (i < 1,000,000)
                a AS (SELECT a.id, a.number::bigint % 1000000 AS i, s.code FROM accounts a
                      JOIN suppliers s ON s.id = a.supplier_id WHERE a.id >= $3)
           INSERT INTO account_links (resident_id, account_id, proof, linked_at)
           SELECT r.id, a.id, 'month', now() FROM r JOIN a ON a.i = r.i
           WHERE r.i % 20 <> 1 OR a.code = 'kvk'""",
        residents,
        CHAT_BASE,
        first_account,
    )
    for code, token in SUPPLIER_TOKENS.items():
        sql(
            db,
            """INSERT INTO supplier_tokens (supplier_id, token_hash, label, created_at)
               SELECT id, $2, 'month', now() FROM suppliers WHERE code = $1""",
            code,
            _hash(token),
        )
    sql(
        db,
        """INSERT INTO reminder_rules (supplier_id, kind)
           SELECT s.id, 'last_day' FROM suppliers s
           WHERE NOT EXISTS (SELECT 1 FROM reminder_rules r
                             WHERE r.supplier_id = s.id AND r.kind = 'last_day')""",
    )
    sql(db, "ANALYZE")


def open_windows(db: Database) -> str:
    """Every supplier's window from the 1st to today (Kyiv): open now for this month, and today
    its last day, so its `last_day` reminders fall due today, whatever the day of the run."""
    today = datetime.now(ZoneInfo("Europe/Kyiv")).day
    rule = f"1..{today}"
    sql(
        db,
        "UPDATE suppliers SET window_rule = $1 WHERE code IN ('kte', 'kvk', 'yasno', 'naftogaz')",
        rule,
    )
    return rule


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def import_registries(db: Database, files: dict[str, Path], workdir: Path) -> None:
    for code, path in files.items():
        komunalka(db, "import-registry", str(path), "--report", str(workdir / f"rejected-{code}"))


# --- the deployment, rendered for 127.0.0.1 ----------------------------------------------------


def settings(db: Database, workdir: Path, overrides: dict[str, str]) -> dict[str, str]:
    """deploy/komunalka.env's settings, with the addresses, DSNs and files pointed here."""
    env: dict[str, str] = {}
    for line in (ROOT / "deploy" / "komunalka.env").read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip().strip('"')
    env.update(
        KOMUNALKA_DATABASE_URL=db.url,
        KOMUNALKA_RECEIPT_KEY_FILE=str(workdir / "receipt-key.pem"),
        KOMUNALKA_RECEIPT_RETIRED_KEYS_FILE=str(workdir / "receipt-keys-retired.pem"),
        **overrides,
    )
    return env


def nginx_config(workdir: Path, port: int, upstreams: list[int]) -> Path:
    """deploy/nginx/komunalka.conf with a self-signed certificate, its https server on
    127.0.0.1:`port`, its upstream the serve processes' ports; everything else as deployed."""
    ssl = workdir / "ssl"
    ssl.mkdir(exist_ok=True)
    subprocess.run(
        [shutil.which("openssl") or "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
         "-nodes", "-subj", "/CN=komunalka.example", "-days", "1",
         "-keyout", str(ssl / "privkey.pem"), "-out", str(ssl / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (ROOT / "deploy" / "nginx" / "komunalka.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/komunalka.example", str(ssl))
    site = site.replace("/var/log/nginx/komunalka.log", str(workdir / "nginx-access.log"))
    site = site.replace("/var/www/letsencrypt", str(workdir))
    lines = []
    for line in site.splitlines():
        if "[::]" in line or "server 127.0.0.1:800" in line:
            continue
        if line.strip() == "listen 80;":
            continue  # the redirect to https is not part of the simulation
        line = line.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
        if "keepalive 32;" in line:
            lines += [f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;" for p in upstreams]
        lines.append(line)
    (workdir / "site.conf").write_text("\n".join(lines) + "\n")
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"pid {workdir}/nginx.pid;\nerror_log {workdir}/nginx-error.log;\n"
        f"events {{ worker_connections 4096; }}\nhttp {{\n    include {workdir}/site.conf;\n}}\n"
    )
    return conf


# --- the doors' inputs -------------------------------------------------------------------------

# Meters the REST API residents read (the registries' serials, not the demo's own flats).
API_METERS = """
    SELECT m.id FROM meters m JOIN accounts a ON a.id = m.account_id
    JOIN account_links l ON l.account_id = a.id
    JOIN api_tokens t ON t.resident_id = l.resident_id
    WHERE t.token_hash = $1 AND a.id >= $2 ORDER BY m.id"""


def api_meters(db: Database) -> list[int]:
    """The registries' meters the API residents read (not the demo's own flats)."""
    first = sql(db, "SELECT min(account_id) FROM account_links WHERE proof = 'month'")[0][0]
    return [r[0] for r in sql(db, API_METERS, _hash(DEMO_TOKEN), first)]


def _who(i: int) -> dict[str, object]:
    return {"id": CHAT_BASE + i, "is_bot": False, "first_name": "Іван", "language_code": "uk"}


def press(update_id: int, i: int) -> dict[str, object]:
    """Resident i presses "send readings" under the bot's last message."""
    shown = {"message_id": 1, "date": 0, "chat": {"id": CHAT_BASE + i, "type": "private"}}
    query = {"id": f"q{update_id}", "from": _who(i), "chat_instance": "c", "data": "send"}
    return {"update_id": update_id, "callback_query": {**query, "message": shown}}


def typed(update_id: int, i: int) -> dict[str, object]:
    """Resident i types the reading of its one meter (1000 last month)."""
    chat = {"id": CHAT_BASE + i, "type": "private"}
    body = {"message_id": update_id, "date": 0, "chat": chat, "from": _who(i), "text": "1001"}
    return {"update_id": update_id, "message": body}
