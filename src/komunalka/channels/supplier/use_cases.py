"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.notifications.manage_reminders import ChangeReminderRule, ShowReminders
from komunalka.application.shared.ports import Clock
from komunalka.application.suppliers.configure_supplier import (
    SetDelivery,
    SetTariff,
    SetWindowRule,
    ShowSupplierSettings,
)
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.issue_supplier_token import (
    IssueSupplierToken,
    ListSupplierTokens,
    RevokeSupplierToken,
)
from komunalka.application.suppliers.manage_webhook import ManageWebhook
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.suppliers.period_files import ListPeriodFiles, ReadPeriodFile
from komunalka.application.suppliers.period_statistics import ShowPeriodStatistics
from komunalka.application.suppliers.read_changes import ShowFeedDeliveries
from komunalka.application.suppliers.set_photo_keeping import SetPhotoKeeping
from komunalka.application.suppliers.supplier_access import OpenSupplier
from komunalka.application.suppliers.upload_registry import (
    RegistryUploads,
    RunRegistryUpload,
    StartRegistryUpload,
)


@dataclass(frozen=True, slots=True)
class SupplierUseCases:
    """The supplier portal's."""

    change_reminder_rule: ChangeReminderRule
    clock: Clock
    export_readings: ExportReadings
    feed_deliveries: ShowFeedDeliveries
    issue_supplier_token: IssueSupplierToken
    list_supplier_tokens: ListSupplierTokens
    manage_webhook: ManageWebhook
    non_submitters: ListNonSubmitters
    open_supplier: OpenSupplier
    period_files: ListPeriodFiles
    period_statistics: ShowPeriodStatistics
    read_period_file: ReadPeriodFile
    registry_uploads: RegistryUploads
    revoke_supplier_token: RevokeSupplierToken
    run_registry_upload: RunRegistryUpload
    set_delivery: SetDelivery
    set_photo_keeping: SetPhotoKeeping
    set_tariff: SetTariff
    set_window_rule: SetWindowRule
    show_reminders: ShowReminders
    start_registry_upload: StartRegistryUpload
    supplier_settings: ShowSupplierSettings
