"""Registry imports: the runs, their staged rows, the rows found unchanged, the portal's uploads."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)

from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.types import UtcDateTime

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
