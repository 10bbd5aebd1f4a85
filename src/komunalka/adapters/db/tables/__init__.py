"""Tables, one module a room (accounts, messengers, readings, registry, people, notices) on one
metadata. Readings are integer thousandths (`value_milli`) so SQLite and PostgreSQL agree exactly;
periods are month indexes (year * 12 + month - 1); instants are UTC."""

from __future__ import annotations

from komunalka.adapters.db.tables.accounts import (
    ACTIVE_CARE,
    account_links,
    accounts,
    caretakers,
    link_attempts,
    meters,
    residents,
    suppliers,
    tariffs,
)
from komunalka.adapters.db.tables.base import BigId, metadata
from komunalka.adapters.db.tables.messengers import (
    deliveries,
    dialog_states,
    identities,
    media,
    phone_codes,
    phone_links,
    sms_inbound,
)
from komunalka.adapters.db.tables.notices import (
    outbox,
    reminder_plans,
    reminder_rules,
    reminders,
    resident_profiles,
)
from komunalka.adapters.db.tables.people import (
    api_tokens,
    audit_log,
    one_time_tokens,
    sign_in_attempts,
    staff,
    supplier_tokens,
    web_logins,
    web_sessions,
)
from komunalka.adapters.db.tables.readings import (
    consumption_alerts,
    feed_heads,
    feed_items,
    meter_photos,
    period_files,
    readings,
    submissions,
    supplier_events,
    webhook_batches,
)
from komunalka.adapters.db.tables.registry import (
    registry_imports,
    registry_rows,
    registry_seen,
    registry_uploads,
)

__all__ = [
    "ACTIVE_CARE",
    "BigId",
    "account_links",
    "accounts",
    "api_tokens",
    "audit_log",
    "caretakers",
    "consumption_alerts",
    "deliveries",
    "dialog_states",
    "feed_heads",
    "feed_items",
    "identities",
    "link_attempts",
    "media",
    "metadata",
    "meter_photos",
    "meters",
    "one_time_tokens",
    "outbox",
    "period_files",
    "phone_codes",
    "phone_links",
    "readings",
    "registry_imports",
    "registry_rows",
    "registry_seen",
    "registry_uploads",
    "reminder_plans",
    "reminder_rules",
    "reminders",
    "resident_profiles",
    "residents",
    "sign_in_attempts",
    "sms_inbound",
    "staff",
    "submissions",
    "supplier_events",
    "supplier_tokens",
    "suppliers",
    "tariffs",
    "web_logins",
    "web_sessions",
    "webhook_batches",
]
