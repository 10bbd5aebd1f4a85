"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.identity.issue_token import IssueToken, RevokeToken
from komunalka.application.notifications.deliver_outbox import DeliverOutbox
from komunalka.application.notifications.manage_reminders import ShowReminders
from komunalka.application.readings.photo_evidence import SetPhotoRetention
from komunalka.application.readings.verify_receipt import VerifyReceipt
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.import_registry import ImportRegistryFile
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.system.load_demo import LoadDemo


@dataclass(frozen=True, slots=True)
class CliUseCases:
    """The command line's."""

    deliver_outbox: DeliverOutbox
    export_readings: ExportReadings
    import_registry_file: ImportRegistryFile
    issue_token: IssueToken
    load_demo: LoadDemo
    non_submitters: ListNonSubmitters
    revoke_token: RevokeToken
    set_photo_retention: SetPhotoRetention
    show_reminders: ShowReminders
    verify_receipt: VerifyReceipt
