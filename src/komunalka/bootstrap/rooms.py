"""What each feature's use cases are made of (readings, receipts, accounts, staff, system,
suppliers): one function a feature, called by `Wiring.wire` (wiring.py); identity and
notifications are in feature_wiring.py."""

from __future__ import annotations

from typing import Any

from komunalka.adapters.db.storage import SqlStorage
from komunalka.adapters.evidence_images import PillowEvidenceImages
from komunalka.application.accounts.caretakers import (
    AcceptCaretaking,
    ActFor,
    EndCaretaking,
    InviteCaretaker,
    ShowCaretaking,
)
from komunalka.application.accounts.co_residents import (
    AccountNotices,
    RemoveCoResident,
    ShowCoResidents,
)
from komunalka.application.accounts.link_account import LinkAccount, SuppliersFor, UnlinkAccount
from komunalka.application.identity.issue_token import IssueToken
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.estimate_bills import EstimateBills
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.media import FetchPicture, PublishPicture
from komunalka.application.readings.photo_evidence import (
    ForgetExpiredPhotos,
    MeterPhotos,
    SetPhotoRetention,
)
from komunalka.application.readings.photo_reading import MeterReader
from komunalka.application.readings.read_meter_photo import ReadMeterPhoto
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.readings_sheet import ShowReadingsSheet
from komunalka.application.readings.receipt_ports import ReceiptSigner
from komunalka.application.readings.set_water_heater import SetWaterHeater
from komunalka.application.readings.submit_readings import SubmitReadings
from komunalka.application.readings.verify_receipt import (
    PublishReceiptKeys,
    ShowReceipts,
    VerifyReceipt,
)
from komunalka.application.shared.ports import (
    Clock,
    PasswordHasher,
)
from komunalka.application.staff.find_accounts import FindAccounts
from komunalka.application.staff.manage_staff import AddStaff, ListStaff, UpdateStaff
from komunalka.application.staff.manage_suppliers import ListSuppliers, SaveSupplier
from komunalka.application.staff.submit_for_caller import CorrectForCaller, SubmitForCaller
from komunalka.application.staff.view_account import ViewAccount
from komunalka.application.suppliers.configure_supplier import (
    SetDelivery,
    SetTariff,
    SetWindowRule,
    ShowSupplierSettings,
)
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.files import Spreadsheets
from komunalka.application.suppliers.import_registry import ImportRegistry, ImportRegistryFile
from komunalka.application.suppliers.issue_supplier_token import (
    AuthenticateSupplier,
    IssueSupplierToken,
    ListSupplierTokens,
    RevokeSupplierToken,
)
from komunalka.application.suppliers.list_supplier_names import ListSupplierNames  # web cabinet
from komunalka.application.suppliers.manage_webhook import ManageWebhook
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.suppliers.period_files import (
    ListPeriodFiles,
    ReadPeriodFile,
    WritePeriodFiles,
)
from komunalka.application.suppliers.period_statistics import ShowPeriodStatistics
from komunalka.application.suppliers.read_changes import (
    AckChanges,
    ReadChanges,
    ShowFeedDeliveries,
)
from komunalka.application.suppliers.set_photo_keeping import SetPhotoKeeping
from komunalka.application.suppliers.supplier_access import OpenSupplier
from komunalka.application.suppliers.upload_registry import (
    RegistryUploads,
    RunRegistryUpload,
    StartRegistryUpload,
)
from komunalka.application.system.check_health import CheckHealth
from komunalka.application.system.clean_up import CleanUp, Retention
from komunalka.application.system.load_demo import DemoStores, LoadDemo
from komunalka.bootstrap.metrics import CountedSubmitReadings
from komunalka.channels.reminders.consent import AccountNoticeTexts


def readings(uow: SqlStorage, clock: Clock, reader: MeterReader) -> dict[str, Any]:
    # counts what it accepts by channel (bootstrap/metrics.py)
    submit = CountedSubmitReadings(uow, uow.submissions, uow.readings, clock, alerts=uow.alerts)
    meters = ListMyMeters(uow, uow.meter_list, clock)
    return {
        "submit_readings": submit,
        "correct_reading": CorrectReading(uow, uow.readings, uow.meters, clock, submit),
        "list_my_meters": meters,
        "readings_sheet": ShowReadingsSheet(meters),
        "reading_history": ReadingHistory(uow, uow.meters, uow.readings, uow.tariffs, clock),
        "estimate_bills": EstimateBills(uow, meters),
        "publish_picture": PublishPicture(uow, uow.media, clock),
        "fetch_picture": FetchPicture(uow, uow.media, clock),
        "set_water_heater": SetWaterHeater(uow, uow.meters, uow.meters, uow.audit, clock),
        "read_meter_photo": ReadMeterPhoto(
            uow, uow.meters, uow.readings, uow.photos, PillowEvidenceImages(), reader, clock
        ),
        "meter_photos": MeterPhotos(uow, uow.meters, uow.photos),
        "forget_expired_photos": ForgetExpiredPhotos(uow, uow.photos, clock),
        "set_photo_retention": SetPhotoRetention(uow, uow.photos),
    }


def process_receipt_keys() -> ReceiptSigner:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from komunalka.adapters.receipt_keys import Ed25519ReceiptKeys

    return Ed25519ReceiptKeys(Ed25519PrivateKey.generate())


def receipts(uow: SqlStorage, keys: ReceiptSigner, wall: Clock) -> dict[str, Any]:
    records = uow.receipt_records
    return {
        "show_receipts": ShowReceipts(uow, records, uow.accounts, keys),
        "verify_receipt": VerifyReceipt(uow, records, uow.sign_in_attempts, keys, wall),
        "receipt_keys": PublishReceiptKeys(keys),
    }


def accounts(uow: SqlStorage, clock: Clock, wall: Clock, web_url: str) -> dict[str, Any]:
    u = uow
    notices = AccountNotices(u.account_residents, u.outbox, AccountNoticeTexts(web_url))
    return {
        "link_account": LinkAccount(
            u,
            u.suppliers,
            u.accounts,
            u.meters,
            u.link_attempts,
            u.audit,
            clock,
            wall,
            residents=u.account_residents,
            notices=notices,
        ),
        "unlink_account": UnlinkAccount(u, u.accounts, u.audit, clock),
        "suppliers_for": SuppliersFor(u, u.suppliers),
        "co_residents": ShowCoResidents(u, u.accounts, u.suppliers, u.account_residents),
        "remove_co_resident": RemoveCoResident(u, u.accounts, u.suppliers, notices, u.audit, clock),
        "invite_caretaker": InviteCaretaker(u, u.one_time_tokens, u.audit, clock),
        "accept_caretaking": AcceptCaretaking(
            u, u.one_time_tokens, u.sign_in_attempts, u.caretakers, notices, u.audit, clock, wall
        ),
        "end_caretaking": EndCaretaking(u, u.caretakers, notices, u.audit, clock),
        "show_caretaking": ShowCaretaking(u, u.caretakers),
        "act_for": ActFor(u, u.caretakers),
    }


def staff(
    uow: SqlStorage,
    clock: Clock,
    hasher: PasswordHasher,
    submit: SubmitReadings,
    correct: CorrectReading,
) -> dict[str, Any]:
    u = uow
    return {
        "add_staff": AddStaff(u, u.staff, u.suppliers, u.audit, hasher, clock),
        "update_staff": UpdateStaff(u, u.staff, u.web_sessions, u.audit, hasher, clock),
        "list_staff": ListStaff(u, u.staff),
        "find_accounts": FindAccounts(u, u.account_search, u.suppliers),
        "view_account": ViewAccount(
            u, u.account_search, u.suppliers, u.meters, u.readings, u.audit_trail, u.staff, clock
        ),
        "submit_for_caller": SubmitForCaller(
            u, u.account_search, u.audit_trail, u.meters, u.audit, clock, submit
        ),
        "correct_for_caller": CorrectForCaller(
            u, u.account_search, u.audit_trail, u.meters, u.readings, u.audit, clock, correct
        ),
        "list_suppliers": ListSuppliers(u, u.supplier_catalog),
        "save_supplier": SaveSupplier(u, u.suppliers, u.supplier_catalog, u.audit, clock),
    }


def system(
    uow: SqlStorage,
    clock: Clock,
    import_registry: ImportRegistry,
    issue_token: IssueToken,
    passwords: PasswordHasher | None,
    retention: Retention | None = None,
) -> dict[str, Any]:
    u = uow
    stores = DemoStores(
        u.suppliers, u.tariffs, u.meters, u.readings, u.accounts,
        u.web_logins, u.profiles, u.staff, u.audit,
    )  # fmt: skip
    return {
        "check_health": CheckHealth(u, u.storage_probe),
        "load_demo": LoadDemo(u, stores, clock, import_registry, issue_token, passwords),
        "clean_up": CleanUp(u, u.expired_rows, clock, retention, u.partitions),
    }


def suppliers(
    uow: SqlStorage, clock: Clock, files: Spreadsheets, private_webhooks: bool
) -> dict[str, Any]:
    portal = uow.supplier_portal  # settings, uploads, tokens and counts: one adapter
    importer = ImportRegistry(uow, uow.suppliers, uow.registry, uow.audit, clock)
    progress = uow.upload_progress  # where every process sees a running upload
    return {
        "import_registry": importer,
        "import_registry_file": ImportRegistryFile(importer, files),
        "export_readings": ExportReadings(uow, uow.suppliers, uow.queries, files, clock),
        "non_submitters": ListNonSubmitters(uow, uow.suppliers, uow.queries, clock),
        "supplier_names": ListSupplierNames(uow, uow.suppliers),
        "open_supplier": OpenSupplier(uow, uow.suppliers),
        "supplier_settings": ShowSupplierSettings(
            uow, uow.suppliers, portal, uow.tariffs, uow.period_files, clock
        ),
        "set_window_rule": SetWindowRule(uow, uow.suppliers, portal, uow.audit, clock),
        "set_delivery": SetDelivery(uow, uow.suppliers, portal, uow.period_files, uow.audit, clock),
        "set_photo_keeping": SetPhotoKeeping(uow, uow.suppliers, portal, uow.audit, clock),
        "write_period_files": WritePeriodFiles(
            uow,
            uow.suppliers,
            uow.queries,
            files,
            uow.period_files,
            uow.supplier_events,
            uow.webhooks,
            clock,
        ),
        "period_files": ListPeriodFiles(uow, uow.suppliers, uow.period_files),
        "read_period_file": ReadPeriodFile(uow, uow.suppliers, uow.period_files),
        "set_tariff": SetTariff(uow, uow.suppliers, portal, uow.tariffs, uow.audit, clock),
        "start_registry_upload": StartRegistryUpload(
            uow, uow.suppliers, portal, progress, uow.audit, clock
        ),
        "run_registry_upload": RunRegistryUpload(
            uow, uow.suppliers, portal, progress, clock, importer, files
        ),
        "registry_uploads": RegistryUploads(uow, uow.suppliers, portal, progress, clock),
        "period_statistics": ShowPeriodStatistics(uow, uow.suppliers, portal, clock),
        "issue_supplier_token": IssueSupplierToken(uow, uow.suppliers, portal, uow.audit, clock),
        "list_supplier_tokens": ListSupplierTokens(uow, uow.suppliers, portal),
        "revoke_supplier_token": RevokeSupplierToken(uow, uow.suppliers, portal, uow.audit, clock),
        "authenticate_supplier": AuthenticateSupplier(uow, portal),
        "read_changes": ReadChanges(uow, uow.suppliers, uow.feed, clock),
        "ack_changes": AckChanges(uow, uow.suppliers, uow.feed, clock),
        "feed_deliveries": ShowFeedDeliveries(uow, uow.suppliers, uow.feed),
        "manage_webhook": ManageWebhook(
            uow, uow.suppliers, uow.feed, uow.webhooks, uow.audit, clock, private_webhooks
        ),
    }
