"""The database as the composition root hands it out: it opens transactions, and holds one
repository of each kind, picked for the engine's dialect, to be given to the use cases that name
them. Every repository acts in the transaction its calling task has open (scope.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from komunalka.adapters.db.alerts import SqlAlertBook
from komunalka.adapters.db.clean_up import SqlExpiredRows
from komunalka.adapters.db.consent import SqlAccountResidents, SqlCaretakers
from komunalka.adapters.db.engine import SqlTransactions
from komunalka.adapters.db.feed import SqlSupplierFeed
from komunalka.adapters.db.identity import (
    SqlOneTimeTokenRepository,
    SqlResidentProfileRepository,
    SqlSignInAttemptRepository,
    SqlWebLoginRepository,
    SqlWebSessionRepository,
)
from komunalka.adapters.db.meter_list import PgMeterList, SqlMeterList
from komunalka.adapters.db.notifications import SqlOutbox
from komunalka.adapters.db.partitions import NoPartitions, PgPartitions
from komunalka.adapters.db.period_files import SqlPeriodFiles, SqlSupplierEvents
from komunalka.adapters.db.pg_submissions import PgSubmissionRepository
from komunalka.adapters.db.phones import SqlInboundSms, SqlPhoneBook
from komunalka.adapters.db.photos import SqlPhotoStore
from komunalka.adapters.db.postgres import (
    PgAuditLog,
    PgMeterRepository,
    PgReadingRepository,
    PgTariffRepository,
)
from komunalka.adapters.db.queries import SqlReadingQueries
from komunalka.adapters.db.readings import (
    SqlAuditLog,
    SqlReadingRepository,
    SqlSubmissionRepository,
)
from komunalka.adapters.db.receipts import SqlReceiptRecords
from komunalka.adapters.db.registry import SqlRegistryStaging
from komunalka.adapters.db.registry_pg import PgRegistryStaging
from komunalka.adapters.db.reminders import PgReminderBook, SqlReminderBook, SqlReminderRules
from komunalka.adapters.db.repositories import (
    SqlAccountRepository,
    SqlMeterRepository,
    SqlSupplierRepository,
    SqlTariffRepository,
)
from komunalka.adapters.db.residents import (
    SqlIdentityRepository,
    SqlLinkAttemptRepository,
    SqlMediaRepository,
    SqlResidentRepository,
    SqlTokenRepository,
)
from komunalka.adapters.db.staff import (
    SqlAccountSearch,
    SqlAuditTrail,
    SqlStaffRepository,
    SqlSupplierCatalog,
)
from komunalka.adapters.db.supplier_portal import SqlSupplierPortalRepository
from komunalka.adapters.db.system import SqlStorageProbe
from komunalka.adapters.db.upload_progress import SqlUploadProgress
from komunalka.adapters.db.webhooks import SqlWebhookBook


class SqlStorage(SqlTransactions):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        # PostgreSQL's hot path runs fixed SQL on the driver's connection (postgres.py,
        # pg_submissions.py, registry_pg.py); the rest is SQLAlchemy Core on
        # both databases.
        pg = engine.dialect.name == "postgresql"
        self.meters = PgMeterRepository() if pg else SqlMeterRepository()
        self.meter_list = PgMeterList() if pg else SqlMeterList()
        self.readings = PgReadingRepository() if pg else SqlReadingRepository()
        self.submissions = PgSubmissionRepository() if pg else SqlSubmissionRepository()
        self.audit = PgAuditLog() if pg else SqlAuditLog()
        self.registry = PgRegistryStaging() if pg else SqlRegistryStaging()
        self.reminder_book = PgReminderBook() if pg else SqlReminderBook()
        self.suppliers = SqlSupplierRepository()
        self.accounts = SqlAccountRepository()
        self.link_attempts = SqlLinkAttemptRepository()
        self.account_residents = SqlAccountResidents()
        self.caretakers = SqlCaretakers()
        self.residents = SqlResidentRepository()
        self.tokens = SqlTokenRepository()
        self.tariffs = PgTariffRepository() if pg else SqlTariffRepository()
        self.identities = SqlIdentityRepository()
        self.media = SqlMediaRepository()
        self.queries = SqlReadingQueries()
        self.web_logins = SqlWebLoginRepository()
        self.staff = SqlStaffRepository()
        self.web_sessions = SqlWebSessionRepository()
        self.sign_in_attempts = SqlSignInAttemptRepository()
        self.one_time_tokens = SqlOneTimeTokenRepository()
        self.outbox = SqlOutbox()
        self.profiles = SqlResidentProfileRepository()
        self.supplier_portal = SqlSupplierPortalRepository()
        self.period_files = SqlPeriodFiles()
        self.supplier_events = SqlSupplierEvents()
        self.upload_progress = SqlUploadProgress(engine)  # transactions of its own
        self.account_search = SqlAccountSearch()
        self.audit_trail = SqlAuditTrail()
        self.supplier_catalog = SqlSupplierCatalog()
        self.storage_probe = SqlStorageProbe()
        self.expired_rows = SqlExpiredRows()  # the clean-up job
        self.partitions = PgPartitions() if pg else NoPartitions()  # ADR 0030
        self.reminder_rules = SqlReminderRules()
        self.feed = SqlSupplierFeed()
        self.webhooks = SqlWebhookBook()
        self.receipt_records = SqlReceiptRecords()
        self.photos = SqlPhotoStore()
        self.alerts = SqlAlertBook()  # leak and anomaly notices (ADR 0025)
        self.phones = SqlPhoneBook()  # the SMS door (ADR 0026)
        self.inbound_sms = SqlInboundSms()
