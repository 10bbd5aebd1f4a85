"""Tables. Readings are integer thousandths (`value_milli`) so SQLite and PostgreSQL agree exactly;
periods are month indexes (year * 12 + month - 1); instants are UTC."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from komunalka.adapters.db.types import UtcDateTime

# Named constraints, so migrations can address them on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("window_rule", String(100), nullable=False),
    Column("account_pattern", String(200), nullable=False),
    Column("services", String(200), nullable=False),
    # The format of the period's file written when a window closes: csv, xlsx or json.
    Column("file_format", String(8), nullable=False, server_default="csv"),
    # Days a meter photo is kept as evidence (ADR 0027); the worker deletes older ones.
    Column("photo_retention_days", Integer, nullable=False, server_default="730"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("number", String(32), nullable=False),
    Column("holder", String(300), nullable=False),
    Column("address", String(300), nullable=False),
    Column("district", String(100), nullable=False, server_default=""),
    UniqueConstraint("supplier_id", "number", name="uq_accounts_supplier_number"),
)

meters = Table(
    "meters",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), nullable=False, index=True),
    # The account's number, copied with account_id (only the registry import writes either), so
    # a supplier's export reads readings and meters without joining a million accounts.
    Column("account_number", String(32), nullable=False, server_default=""),
    # The account's supplier, copied here so a serial is unique per supplier; no foreign key of
    # its own (the account's already points at the supplier, and a second check per row halves
    # the speed of a registry import).
    Column("supplier_id", Integer, nullable=False),
    Column("service", String(20), nullable=False),
    Column("serial", String(40), nullable=False),
    Column("registers", String(60), nullable=False),
    Column("digits", Integer, nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("verification_due", Date, nullable=True),
    Column("status", String(20), nullable=False),
    # A hot-water meter whose owners heat water themselves (a "boiler"): reminded every month,
    # even when nothing changed (from the registry, or set by the resident).
    Column("water_heater", Boolean, nullable=False, server_default=text("false")),
    # The registry import that last listed the meter: tells a repeated line within one import.
    Column("registry_import_id", BigInteger, nullable=True),
    # Moves on with every submission to the meter (and every registry change of it): a
    # submission judged against one revision is written only while the meter is still at it.
    Column("revision", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("supplier_id", "serial", name="uq_meters_supplier_serial"),
)

residents = Table(
    "residents",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# A resident's identities in the messengers (and the terminal): who writes, in which language.
identities = Table(
    "identities",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("language", String(5), nullable=False, server_default="uk"),
    Column("reminders", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UtcDateTime(), nullable=False),
    # The messenger said the resident blocked the bot (or unsubscribed): no reminders until
    # the resident writes again.
    Column("unreachable_at", UtcDateTime(), nullable=True),
)

# Where each conversation stands (JSON), by channel and user.
dialog_states = Table(
    "dialog_states",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Pictures the app serves by an unguessable name (charts sent to Viber as URLs); kept a day.
media = Table(
    "media",
    metadata,
    Column("token", String(43), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)

# Photos of meters kept as evidence of a reading (ADR 0027): re-encoded with no EXIF, with the
# kept file's SHA-256; deleted after their supplier's `photo_retention_days`.
meter_photos = Table(
    "meter_photos",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False, index=True),
    Column("register", String(20), nullable=False),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("resident_id", BigInteger, nullable=True),
    # What the reader read (the integer part), if it read anything that fit the meter.
    Column("read_value", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Index("ix_meter_photos_supplier_received", "supplier_id", "received_at"),
)

# Updates a messenger delivered, by its own id: the same update twice has one effect. A turn
# under way holds a lease (`lease_until`); a finished one has none (ADR 0015).
deliveries = Table(
    "deliveries",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("delivery_id", String(64), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
)

account_links = Table(
    "account_links",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("account_id", BigInteger, ForeignKey("accounts.id"), primary_key=True, index=True),
    Column("proof", String(20), nullable=False),
    Column("linked_at", UtcDateTime(), nullable=False),
)

# A caretaker (a relative) sends readings on a resident's behalf, from accepting the resident's
# invitation until either of them ends it (ADR 0024). At most one active row per pair.
ACTIVE_CARE = "ended_at IS NULL"
caretakers = Table(
    "caretakers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("caretaker_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Index(
        "uq_caretakers_active",
        "resident_id",
        "caretaker_id",
        unique=True,
        sqlite_where=text(ACTIVE_CARE),
        postgresql_where=text(ACTIVE_CARE),
    ),
)

link_attempts = Table(
    "link_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, nullable=False),
    Column("supplier_id", Integer, nullable=False),
    Column("account_number", String(32), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_link_attempts_resident", "resident_id", "at"),
    Index("ix_link_attempts_account", "supplier_id", "account_number", "at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("actor_key", String(60), nullable=False),
    # NULL keys never collide: a request without a key is never taken for a repeat.
    Column("client_key", String(100), nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("actor_key", "client_key", name="uq_submissions_actor_key_client_key"),
)

readings = Table(
    "readings",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False),
    Column("register", String(20), nullable=False),
    Column("period", Integer, nullable=False),
    Column("value_milli", BigInteger, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("receipt", String(20), nullable=True),
    Column("submission_id", BigInteger, nullable=True),
    # Sent early: kept from the supplier until this moment, when its period's window opens
    # (ADR 0018). Whatever shows readings to a supplier reads only those with
    # `release_at IS NULL OR release_at <= now`.
    Column("release_at", UtcDateTime(), nullable=True),
    # History reads accepted readings through uq_readings_accepted and corrected ones through
    # this small index, so a bulk of accepted readings is written to one index, not two.
    Index(
        "ix_readings_superseded",
        "meter_id",
        "period",
        sqlite_where=text("status <> 'accepted'"),
        postgresql_where=text("status <> 'accepted'"),
    ),
    # Registry readings have neither receipt nor submission: keep them out of these indexes.
    Index(
        "uq_readings_receipt",
        "receipt",
        unique=True,
        sqlite_where=text("receipt IS NOT NULL"),
        postgresql_where=text("receipt IS NOT NULL"),
    ),
    Index(
        "ix_readings_submission_id",
        "submission_id",
        sqlite_where=text("submission_id IS NOT NULL"),
        postgresql_where=text("submission_id IS NOT NULL"),
    ),
    # At most one accepted reading per register and period: the database's own guard against a
    # duplicate, behind the lock that serializes submissions to a meter.
    Index(
        "uq_readings_accepted",
        "meter_id",
        "register",
        "period",
        unique=True,
        sqlite_where=text("status = 'accepted'"),
        postgresql_where=text("status = 'accepted'"),
    ),
)

tariffs = Table(
    "tariffs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("service", String(20), nullable=False),
    Column("zone", String(20), nullable=False),
    # UAH per unit in ten-thousandths, exact on both databases
    Column("price_e4", BigInteger, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("demo", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint(
        "supplier_id", "service", "zone", "effective_from", name="uq_tariffs_supplier_id"
    ),
)

registry_imports = Table(
    "registry_imports",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("rows", Integer, nullable=False, server_default="0"),
    Column("meters", Integer, nullable=False, server_default="0"),
    # An import in short transactions (ADR 0015): the file's key (a run of the same file after
    # a crash resumes it), "running" or "done", the process running it now, its counts so far.
    Column("key", Text, nullable=True),
    Column("state", Text, nullable=False, server_default="done"),
    Column("runner", Text, nullable=True),
    Column("water_heaters", Boolean, nullable=False, server_default=false()),
    *[
        Column(name, Integer, nullable=False, server_default="0")
        for name in ("staged", "duplicates", "accounts", "readings", "replaced", "staged_through")
    ],
    # Rows found as the database held them already, not written (ADR 0022).
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Index("ix_registry_imports_key", "key"),
)

# A running import's rows waiting to be merged, and the lines it found repeating a meter
# (`duplicate`, nothing else set). Merged rows are deleted batch by batch (ADR 0015).
registry_rows = Table(
    "registry_rows",
    metadata,
    Column("import_id", BigInteger, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("duplicate", Boolean, nullable=False),
    Column("supplier_id", Integer),
    *[Column(n, Text) for n in ("account", "holder", "address", "district")],
    *[Column(n, Text) for n in ("service", "serial", "registers")],
    Column("digits", Integer),
    Column("decimals", Integer),
    Column("verification_due", Date),
    Column("status", Text),
    Column("period", Integer),
    *[c for i in range(1, 5) for c in (Column(f"r{i}", Text), Column(f"v{i}", Integer))],
    Column("water_heater", Boolean),
    Index("ix_registry_rows_meter", "import_id", "supplier_id", "serial"),
    Index("ix_registry_rows_account", "import_id", "supplier_id", "account"),
)

# A running import's meters whose rows it found unchanged and did not write (ADR 0022): a later
# line listing one of them again is a duplicate, as for a staged row. Deleted when it finishes.
registry_seen = Table(
    "registry_seen",
    metadata,
    Column("import_id", BigInteger, primary_key=True),
    Column("supplier_id", Integer, primary_key=True),
    Column("serial", Text, primary_key=True),
)

# On PostgreSQL partitioned by month of `at`, primary key (id, at) (migration 0023, ADR 0030).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("on_behalf_of", BigInteger, nullable=True),
    Column("channel", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("details", Text, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    # The operator console reads an account's trail by subject (account, meters, submissions).
    Index("ix_audit_log_subject", "subject"),
)

# A resident's sign-in to the web cabinet: an e-mail or phone (normalized) and an argon2 hash.
web_logins = Table(
    "web_logins",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("login", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Staff of the call center, the district service centers, the suppliers, and administrators.
staff = Table(
    "staff",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("login", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    # A district operator's district; a supplier user's supplier. Empty / NULL otherwise.
    Column("district", String(100), nullable=False, server_default=""),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=True),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Signed-in browsers: only the token's SHA-256 is stored; a session ends at `expires_at`.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # "resident" or "staff"
    Column("kind", String(10), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Index("ix_web_sessions_subject", "kind", "subject_id"),
)

# Sign-in attempts by key (``login:<login>``, ``ip:<address>``): failures are limited.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("key", String(300), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_sign_in_attempts_key", "key", "at"),
)

# One-time links (password reset): only the token's SHA-256 is stored; used once, then dead.
one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(20), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
)

# Messages to people (e-mail, SMS), written in the transaction of the change that causes them
# and sent after it commits by whatever transport is configured.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    # The lease (ADR 0012): "waiting" (claimable once `lease_until` is past, or unset),
    # "sending" (an attempt began; past its lease its fate is unknown), "sent", "failed" (given
    # up after the last attempt), "unknown" (never resent by itself).
    Column("state", String(10), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index(
        "ix_outbox_claim",
        "state",
        "lease_until",
        "id",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)

# A resident's profile: the cabinet's language and how (and whether) to be reminded.
resident_profiles = Table(
    "resident_profiles",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("language", String(5), nullable=False, server_default="uk"),
    # "none", "email", "sms", "telegram", "viber"
    Column("reminder_channel", String(20), nullable=False, server_default="none"),
    Column("reminder_consent_at", UtcDateTime(), nullable=True),
    Column("contact", String(254), nullable=False, server_default=""),
)

# Pull-access tokens of a supplier (`/api/v1/supplier/`): only the SHA-256 is stored.
supplier_tokens = Table(
    "supplier_tokens",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(100), nullable=False, server_default=""),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# Registries uploaded through the supplier portal: progress while it runs, the report after.
registry_uploads = Table(
    "registry_uploads",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False, index=True),
    Column("staff_id", BigInteger, nullable=True),
    Column("filename", String(200), nullable=False),
    # "running", "done", "failed"
    Column("status", String(10), nullable=False),
    Column("rows", Integer, nullable=False, server_default="0"),
    Column("accepted", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    # The bad rows as CSV (line, codes, message), for download.
    Column("report", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    # A running upload's last sign of life (rows read so far are in `rows`): an upload whose
    # heartbeat is older than a limit was cut off (its process died) and is recorded as failed.
    Column("heartbeat_at", UtcDateTime(), nullable=True),
    # Accepted rows that changed nothing (ADR 0022).
    Column("unchanged", Integer, nullable=False, server_default="0"),
)

# A supplier's reminder rules that staff changed (a kind never changed is at its default).
reminder_rules = Table(
    "reminder_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("days", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("supplier_id", "kind", name="uq_reminder_rules_supplier_kind"),
)

# Each planning of a rule (per period, or per day for the verification rules), once.
reminder_plans = Table(
    "reminder_plans",
    metadata,
    Column("rule_id", Integer, ForeignKey("reminder_rules.id"), primary_key=True),
    Column("run", String(10), primary_key=True),
    Column("planned_at", UtcDateTime(), nullable=False),
    Column("planned", Integer, nullable=False, server_default="0"),
)

# One row per resident, rule and period: the unit of "once" (ADR 0014). `send_at` is epoch
# seconds, so a set-based plan computes each resident's moment the same way on both databases.
reminders = Table(
    "reminders",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("rule_id", Integer, ForeignKey("reminder_rules.id"), nullable=False),
    Column("supplier_id", Integer, nullable=False),
    Column("period", Integer, nullable=False),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("address", String(254), nullable=False),
    Column("language", String(5), nullable=False),
    Column("send_at", BigInteger, nullable=False),
    # planned, sending, sent, merged, skipped, cancelled, expired, unreachable, dropped,
    # failed, unknown (application/notifications/ports.py)
    Column("state", String(12), nullable=False, server_default="planned"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
    Column("billing_status", Integer, nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    UniqueConstraint("resident_id", "rule_id", "period", name="uq_reminders_once"),
    Index("ix_reminders_supplier_period", "supplier_id", "period"),
    Index(
        "ix_reminders_claim",
        "send_at",
        sqlite_where=text("state IN ('planned', 'sending')"),
        postgresql_where=text("state IN ('planned', 'sending')"),
    ),
)


# A period's final file, written once when the supplier's window for it closes (ADR 0018): the
# primary key is the unit of "once", and the content lives in the database so that every process
# serves it and it survives restarts without a shared disk.
period_files = Table(
    "period_files",
    metadata,
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), primary_key=True),
    Column("period", Integer, primary_key=True),
    Column("format", String(8), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("written_at", UtcDateTime(), nullable=False),
)

# Events for suppliers written in the same transaction as what they announce (an outbox), e.g.
# ``period.file_ready``; the webhook sender reads them. Until it exists they are only recorded.
supplier_events = Table(
    "supplier_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("period", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Index(
        "ix_supplier_events_unsent",
        "id",
        sqlite_where=text("sent_at IS NULL"),
        postgresql_where=text("sent_at IS NULL"),
    ),
)

# A supplier's feed (issue 13, ADR 0017): an item per accepted reading or correction, written in
# the reading's own transaction with no position; the sequencer (adapters/db/feed.py) gives
# items positions 1, 2, 3, … per supplier, serially under the lock of the supplier's head row, so
# positions only ever become visible in increasing order and without gaps.
feed_items = Table(
    "feed_items",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, nullable=False),
    Column("reading_id", BigInteger, ForeignKey("readings.id"), nullable=False),
    # The reading this one corrects (superseded by it), if any.
    Column("replaces_id", BigInteger, nullable=True),
    Column("period", Integer, nullable=False),
    Column("position", BigInteger, nullable=True),
    Index(
        "uq_feed_items_position",
        "supplier_id",
        "position",
        unique=True,
        sqlite_where=text("position IS NOT NULL"),
        postgresql_where=text("position IS NOT NULL"),
    ),
    Index(
        "ix_feed_items_unsequenced",
        "supplier_id",
        "id",
        sqlite_where=text("position IS NULL"),
        postgresql_where=text("position IS NULL"),
    ),
    Index("ix_feed_items_period", "supplier_id", "period", "position"),
)
# One row per supplier: the last position given (the lock the sequencer takes), what the
# supplier acknowledged, when it last fetched, its webhook and how far the webhook's batches go.
feed_heads = Table(
    "feed_heads",
    metadata,
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), primary_key=True),
    Column("position", BigInteger, nullable=False, server_default="0"),
    Column("acked", BigInteger, nullable=False, server_default="0"),
    Column("acked_at", UtcDateTime(), nullable=True),
    Column("fetched_at", UtcDateTime(), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("webhook_secret", String(200), nullable=True),
    Column("batched", BigInteger, nullable=False, server_default="0"),
)
# A webhook message: a batch of the feed's positions (first..last), or another event with its
# own payload (`period.file_ready`). Its `event_id` is the `webhook-id` of every attempt.
# States: waiting (due at `next_at`), sending (claimed until `lease_until`), delivered, failed.
webhook_batches = Table(
    "webhook_batches",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=False),
    Column("event_id", String(60), nullable=False, unique=True),
    Column("event_type", String(60), nullable=False),
    Column("first_position", BigInteger, nullable=True),
    Column("last_position", BigInteger, nullable=True),
    Column("payload", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("give_up_at", UtcDateTime(), nullable=False),
    Column("state", String(10), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", UtcDateTime(), nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_batches_supplier", "supplier_id", "state", "id"),
    Index(
        "ix_webhook_batches_due",
        "next_at",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)

# A month's use far above a meter's usual, to be told to the resident (ADR 0025): written in the
# transaction of the reading, one row per meter, period and resident (the unit of "once"), sent
# by the worker with a lease as the outbox is. `receipt`: the reading that raised it (a
# correction of it withdraws the notice if it has not gone yet).
consumption_alerts = Table(
    "consumption_alerts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("meter_id", BigInteger, ForeignKey("meters.id"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False),
    Column("receipt", String(20), nullable=False),
    Column("code", String(30), nullable=False),
    Column("used_milli", BigInteger, nullable=False),
    Column("usual_milli", BigInteger, nullable=True),
    Column("months", Integer, nullable=False),
    Column("cap_milli", BigInteger, nullable=False),
    # The messenger the reading came by: where the notice goes when the resident chose no
    # reminder channel.
    Column("via", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # waiting, sending, sent, withdrawn, confirmed, no_channel, unreachable, dropped, failed,
    # unknown (application/notifications/alerts.py)
    Column("state", String(12), nullable=False, server_default="waiting"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("channel", String(20), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("finished_at", UtcDateTime(), nullable=True),
    # The resident said "that's right": nothing more is said of this meter and period.
    Column("confirmed_at", UtcDateTime(), nullable=True),
    UniqueConstraint("meter_id", "period", "resident_id", name="uq_consumption_alerts_once"),
    Index("ix_consumption_alerts_resident", "resident_id"),
    Index(
        "ix_consumption_alerts_claim",
        "state",
        "lease_until",
        sqlite_where=text("state IN ('waiting', 'sending')"),
        postgresql_where=text("state IN ('waiting', 'sending')"),
    ),
)

# The SMS door (ADR 0026): phone numbers linked to residents (one resident a number), proven by
# a one-time code sent to the number (its SHA-256 kept, with its expiry and attempts left) ...
phone_links = Table(
    "phone_links",
    metadata,
    Column("phone", String(16), primary_key=True),
    Column("resident_id", BigInteger, ForeignKey("residents.id"), nullable=False, index=True),
    Column("linked_at", UtcDateTime(), nullable=False),
)
phone_codes = Table(
    "phone_codes",
    metadata,
    Column("resident_id", BigInteger, ForeignKey("residents.id"), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("attempts_left", Integer, nullable=False),
)
# ... and the gateway's id of every inbound message answered: a retried callback is answered once.
sms_inbound = Table(
    "sms_inbound",
    metadata,
    Column("gateway_id", String(100), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)
