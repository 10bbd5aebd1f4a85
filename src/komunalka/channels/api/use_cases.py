"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.accounts.link_account import LinkAccount
from komunalka.application.identity.issue_token import Authenticate
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.submit_readings import SubmitReadings
from komunalka.application.readings.verify_receipt import PublishReceiptKeys, VerifyReceipt
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.issue_supplier_token import AuthenticateSupplier
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.suppliers.period_files import ListPeriodFiles, ReadPeriodFile
from komunalka.application.suppliers.period_statistics import ShowPeriodStatistics
from komunalka.application.suppliers.read_changes import AckChanges, ReadChanges
from komunalka.application.suppliers.supplier_access import OpenSupplier
from komunalka.application.system.check_health import CheckHealth


@dataclass(frozen=True, slots=True)
class ApiUseCases:
    """The REST API's (resident routes and health)."""

    authenticate: Authenticate
    check_health: CheckHealth
    correct_reading: CorrectReading
    link_account: LinkAccount
    list_my_meters: ListMyMeters
    reading_history: ReadingHistory
    receipt_keys: PublishReceiptKeys
    submit_readings: SubmitReadings
    verify_receipt: VerifyReceipt


@dataclass(frozen=True, slots=True)
class SupplierApiUseCases:
    """The suppliers' pull API's."""

    ack_changes: AckChanges
    authenticate_supplier: AuthenticateSupplier
    export_readings: ExportReadings
    non_submitters: ListNonSubmitters
    open_supplier: OpenSupplier
    period_files: ListPeriodFiles
    period_statistics: ShowPeriodStatistics
    read_period_file: ReadPeriodFile
    read_changes: ReadChanges
