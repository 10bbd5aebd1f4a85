"""The use cases the conversation calls, and no others: the bootstrap hands the chat this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.accounts.caretakers import AcceptCaretaking, ActFor, ShowCaretaking
from komunalka.application.accounts.co_residents import RemoveCoResident, ShowCoResidents
from komunalka.application.accounts.link_account import LinkAccount, SuppliersFor, UnlinkAccount
from komunalka.application.identity.identify_resident import IdentifyResident, UpdatePreferences
from komunalka.application.notifications.reachable_again import ReachableAgain
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.estimate_bills import EstimateBills
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.read_meter_photo import ReadMeterPhoto
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.readings_sheet import ShowReadingsSheet
from komunalka.application.readings.set_water_heater import SetWaterHeater
from komunalka.application.readings.submit_readings import SubmitReadings


@dataclass(frozen=True, slots=True)
class ChatUseCases:
    """Who the user is and their settings; their meters and readings; their accounts."""

    identify_resident: IdentifyResident
    update_preferences: UpdatePreferences
    reachable_again: ReachableAgain
    list_my_meters: ListMyMeters
    reading_history: ReadingHistory
    estimate_bills: EstimateBills
    readings_sheet: ShowReadingsSheet
    submit_readings: SubmitReadings
    correct_reading: CorrectReading
    suppliers_for: SuppliersFor
    link_account: LinkAccount
    unlink_account: UnlinkAccount
    co_residents: ShowCoResidents
    remove_co_resident: RemoveCoResident
    set_water_heater: SetWaterHeater
    accept_caretaking: AcceptCaretaking
    show_caretaking: ShowCaretaking
    act_for: ActFor
    read_meter_photo: ReadMeterPhoto
