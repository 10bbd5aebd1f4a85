"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.notifications.manage_reminders import ChangeReminderRule, ShowReminders
from komunalka.application.readings.photo_evidence import MeterPhotos
from komunalka.application.readings.read_meter_photo import ReadMeterPhoto
from komunalka.application.staff.find_accounts import FindAccounts
from komunalka.application.staff.manage_staff import AddStaff, ListStaff, UpdateStaff
from komunalka.application.staff.manage_suppliers import ListSuppliers, SaveSupplier
from komunalka.application.staff.submit_for_caller import CorrectForCaller, SubmitForCaller
from komunalka.application.staff.view_account import ViewAccount


@dataclass(frozen=True, slots=True)
class OperatorUseCases:
    """The operator console's."""

    add_staff: AddStaff
    change_reminder_rule: ChangeReminderRule
    correct_for_caller: CorrectForCaller
    find_accounts: FindAccounts
    list_staff: ListStaff
    list_suppliers: ListSuppliers
    meter_photos: MeterPhotos
    read_meter_photo: ReadMeterPhoto
    save_supplier: SaveSupplier
    show_reminders: ShowReminders
    submit_for_caller: SubmitForCaller
    update_staff: UpdateStaff
    view_account: ViewAccount
