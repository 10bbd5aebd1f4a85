"""The use cases this door calls, and nothing else: the composition root (bootstrap) gives it
this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.accounts.caretakers import (
    AcceptCaretaking,
    ActFor,
    EndCaretaking,
    InviteCaretaker,
    ShowCaretaking,
)
from komunalka.application.accounts.co_residents import RemoveCoResident, ShowCoResidents
from komunalka.application.accounts.link_account import LinkAccount, UnlinkAccount
from komunalka.application.identity.attach_telegram import AttachTelegram
from komunalka.application.identity.edit_profile import GetProfile, UpdateProfile
from komunalka.application.identity.phones import ConfirmPhone, RequestPhoneCode, ResidentByPhone
from komunalka.application.identity.reset_password import RequestPasswordReset, ResetPassword
from komunalka.application.identity.sign_in import SignIn, SignUp
from komunalka.application.identity.sign_in_with_telegram import SignInWithTelegram
from komunalka.application.notifications.confirm_alert import ConfirmAlert, ListAlerts
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.estimate_bills import EstimateBills
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.read_meter_photo import ReadMeterPhoto
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.readings_sheet import ShowReadingsSheet
from komunalka.application.readings.set_water_heater import SetWaterHeater
from komunalka.application.readings.submit_readings import SubmitReadings
from komunalka.application.readings.verify_receipt import ShowReceipts, VerifyReceipt
from komunalka.application.shared.ports import Clock
from komunalka.application.suppliers.list_supplier_names import ListSupplierNames


@dataclass(frozen=True, slots=True)
class CabinetUseCases:
    """The resident cabinet's."""

    accept_caretaking: AcceptCaretaking
    act_for: ActFor
    attach_telegram: AttachTelegram
    clock: Clock
    co_residents: ShowCoResidents
    confirm_alert: ConfirmAlert
    confirm_phone: ConfirmPhone
    correct_reading: CorrectReading
    end_caretaking: EndCaretaking
    estimate_bills: EstimateBills
    get_profile: GetProfile
    invite_caretaker: InviteCaretaker
    link_account: LinkAccount
    list_alerts: ListAlerts
    list_my_meters: ListMyMeters
    read_meter_photo: ReadMeterPhoto
    reading_history: ReadingHistory
    readings_sheet: ShowReadingsSheet
    remove_co_resident: RemoveCoResident
    request_password_reset: RequestPasswordReset
    request_phone_code: RequestPhoneCode
    resident_by_phone: ResidentByPhone
    reset_password: ResetPassword
    set_water_heater: SetWaterHeater
    show_receipts: ShowReceipts
    show_caretaking: ShowCaretaking
    sign_in: SignIn
    sign_in_with_telegram: SignInWithTelegram
    sign_up: SignUp
    submit_readings: SubmitReadings
    supplier_names: ListSupplierNames
    unlink_account: UnlinkAccount
    update_profile: UpdateProfile
    verify_receipt: VerifyReceipt
