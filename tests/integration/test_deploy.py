"""deploy/: the environment file and the README name every setting, nginx accepts the proxy's
configuration, and the PostgreSQL roles keep the services' role away from the schema."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from komunalka.adapters.db import migrate
from komunalka.adapters.db.engine import create_engine
from komunalka.bootstrap.settings import Settings
from tests.conftest import IN_CI, create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = {f"KOMUNALKA_{name.upper()}" for name in Settings.model_fields}


def test_the_environment_file_explains_every_setting_and_no_other() -> None:
    text = (DEPLOY / "komunalka.env").read_text()
    named = set(re.findall(r"^#?(KOMUNALKA_[A-Z0-9_]+)=", text, re.M))
    assert named == SETTINGS
    for line in text.splitlines():
        if re.match(r"^#?KOMUNALKA_", line):
            continue
        assert line == "" or line.startswith("#"), line
    # each setting has a comment above it (its own line or the group's)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#?KOMUNALKA_", line):
            above = next(x for x in reversed(lines[:i]) if not re.match(r"^#?KOMUNALKA_", x))
            assert above.startswith("# "), f"no explanation above {line}"


def test_the_readme_table_names_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Settings") : readme.index("The database URL is never")]
    assert set(re.findall(r"`(KOMUNALKA_[A-Z0-9_]+)`", table)) == SETTINGS


def test_the_units_start_the_commands_the_cli_has() -> None:
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").iterdir()}
    assert "komunalka serve --host 127.0.0.1 --port %i" in units["komunalka-serve@.service"]
    assert "komunalka worker\n" in units["komunalka-worker@.service"]
    assert "EnvironmentFile=/etc/komunalka/migrate.env" in units["komunalka-migrate.service"]
    from typer.testing import CliRunner

    from komunalka.bootstrap.cli import app

    helped = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "--host" in helped and "--port" in helped
    conf = (DEPLOY / "nginx" / "komunalka.conf").read_text()
    target = units["komunalka.target"]
    ports = set(re.findall(r"komunalka-serve@(\d+)\.service", target))
    assert ports == set(re.findall(r"server 127\.0\.0\.1:(\d+)", conf))


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        reason = "nginx is not installed: apt-get install nginx-light (.ci/run does)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    ssl = tmp_path / "ssl"
    ssl.mkdir()
    certificate = ["-keyout", ssl / "privkey.pem", "-out", ssl / "fullchain.pem"]
    subject = ["-subj", "/CN=komunalka.example", "-days", "1"]
    subprocess.run(
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            *subject,
            *certificate,
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "komunalka.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/komunalka.example", str(ssl))
    site = site.replace("/var/log/nginx/komunalka.log", str(tmp_path / "access.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n"
    )
    where = ["-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run(
        [nginx, "-t", *where, "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


async def test_the_app_role_reads_and_writes_but_only_the_owner_changes_the_schema() -> None:
    url = await create_postgres_database()
    try:
        await _roles_on(url)
    finally:
        await drop_postgres_database(url)


def _as(url: str, user: str) -> str:
    return make_url(url).set(username=user, password=None).render_as_string(hide_password=False)


def _dsn(url: str, user: str | None = None) -> str:
    parsed = make_url(url)
    if user:
        parsed = parsed.set(username=user, password=None)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _roles_on(url: str) -> None:
    admin = await asyncpg.connect(_dsn(url))
    try:
        sql = (DEPLOY / "postgresql" / "roles.sql").read_text()
        await admin.execute(sql)
        await admin.execute(sql)  # again: changes nothing, fails on nothing
    finally:
        await admin.close()
    owner = create_engine(_as(url, "komunalka_owner"))
    try:
        await migrate.upgrade(owner)  # migrations run as the owner
    finally:
        await owner.dispose()

    app = await asyncpg.connect(_dsn(url, "komunalka_app"))
    try:
        await app.execute(
            "INSERT INTO media (token, content, content_type, created_at)"
            " VALUES ('t', 'x', 'image/png', now())"
        )
        await app.execute("UPDATE media SET content_type = 'image/jpeg' WHERE token = 't'")
        assert await app.fetchval("SELECT content_type FROM media") == "image/jpeg"
        await app.execute("DELETE FROM media")
        sid = await app.fetchval(
            "INSERT INTO sign_in_attempts (key, success, at) VALUES ('k', true, now()) RETURNING id"
        )  # a sequence
        assert sid >= 1
        await app.execute("CREATE TEMPORARY TABLE staged (line int)")  # the import stages rows
        # the clean-up job makes the audit log's months ahead through the owner's function
        made = await app.fetchval("SELECT audit_log_months_ahead(now() + interval '1 year', 1)")
        assert made == 2
        await app.execute(
            "INSERT INTO audit_log (at, actor_kind, channel, action, subject, details)"
            " VALUES (now() + interval '1 year', 'staff', 'web', 'a', 's', '{}')"
        )
        assert await app.fetchval("SELECT version_num FROM alembic_version") == migrate.head()
        for ddl in (
            "CREATE TABLE intruder (id int)",
            "ALTER TABLE media ADD COLUMN extra int",
            "DROP TABLE media",
            "TRUNCATE media",
            "CREATE INDEX ix_intruder ON media (content_type)",
            "ALTER TABLE audit_log DETACH PARTITION partitions.audit_log_default",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute(ddl)
    finally:
        await app.close()

    schema_owner = await asyncpg.connect(_dsn(url, "komunalka_owner"))
    try:
        await schema_owner.execute("CREATE TABLE later (id int)")
        await schema_owner.execute("ALTER TABLE media ADD COLUMN extra int")
        await schema_owner.execute("ALTER TABLE media DROP COLUMN extra")
        await schema_owner.execute("DROP TABLE later")
    finally:
        await schema_owner.close()


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        reason = "systemd-analyze is missing (Debian's systemd package)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    units = DEPLOY / "systemd"
    for unit in units.iterdir():
        shutil.copy(unit, tmp_path / unit.name)
    # the templates as the target starts them
    shutil.copy(units / "komunalka-serve@.service", tmp_path / "komunalka-serve@8001.service")
    shutil.copy(units / "komunalka-worker@.service", tmp_path / "komunalka-worker@9101.service")
    names = ["komunalka-serve@8001.service", "komunalka-worker@9101.service"]
    names += ["komunalka-migrate.service", "komunalka.target"]
    checked = subprocess.run(
        [analyze, "verify", *[f"./{name}" for name in names]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    # the one complaint possible here: the service's command is not installed on this machine
    complaints = [
        line
        for line in (checked.stdout + checked.stderr).splitlines()
        if line.strip() and "/opt/komunalka/.venv/bin/komunalka is not executable" not in line
    ]
    assert complaints == []
