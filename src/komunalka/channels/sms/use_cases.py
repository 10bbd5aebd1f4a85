"""The use cases this door calls, and nothing else: the composition root gives it this set."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.identity.phones import ResidentByPhone
from komunalka.application.notifications.sms_replies import ReplyBySms
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.submit_readings import SubmitReadings


@dataclass(frozen=True, slots=True)
class SmsUseCases:
    list_my_meters: ListMyMeters
    reply_by_sms: ReplyBySms
    resident_by_phone: ResidentByPhone
    submit_readings: SubmitReadings
