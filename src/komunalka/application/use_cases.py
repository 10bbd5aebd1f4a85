"""The use cases a door may call, wired once by the bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.application.check_health import CheckHealth
from komunalka.application.correct_reading import CorrectReading
from komunalka.application.export_readings import ExportReadings
from komunalka.application.identify_resident import IdentifyResident, UpdatePreferences
from komunalka.application.import_registry import ImportRegistry
from komunalka.application.issue_token import Authenticate, IssueToken, RevokeToken
from komunalka.application.link_account import LinkAccount, SuppliersFor, UnlinkAccount
from komunalka.application.list_my_meters import ListMyMeters
from komunalka.application.load_demo import LoadDemo
from komunalka.application.media import FetchPicture, PublishPicture
from komunalka.application.non_submitters import ListNonSubmitters
from komunalka.application.ports import Clock, UnitOfWorkFactory
from komunalka.application.reading_history import ReadingHistory
from komunalka.application.submit_readings import SubmitReadings


@dataclass(frozen=True, slots=True)
class UseCases:
    clock: Clock
    submit_readings: SubmitReadings
    correct_reading: CorrectReading
    link_account: LinkAccount
    unlink_account: UnlinkAccount
    suppliers_for: SuppliersFor
    list_my_meters: ListMyMeters
    reading_history: ReadingHistory
    non_submitters: ListNonSubmitters
    import_registry: ImportRegistry
    export_readings: ExportReadings
    issue_token: IssueToken
    revoke_token: RevokeToken
    authenticate: Authenticate
    check_health: CheckHealth
    load_demo: LoadDemo
    identify_resident: IdentifyResident
    update_preferences: UpdatePreferences
    publish_picture: PublishPicture
    fetch_picture: FetchPicture

    @classmethod
    def wire(cls, uow: UnitOfWorkFactory, clock: Clock) -> UseCases:
        import_registry = ImportRegistry(uow, clock)
        issue_token = IssueToken(uow, clock)
        submit = SubmitReadings(uow, clock)
        return cls(
            clock=clock,
            submit_readings=submit,
            correct_reading=CorrectReading(uow, clock, submit),
            link_account=LinkAccount(uow, clock),
            unlink_account=UnlinkAccount(uow, clock),
            suppliers_for=SuppliersFor(uow),
            list_my_meters=ListMyMeters(uow, clock),
            reading_history=ReadingHistory(uow, clock),
            non_submitters=ListNonSubmitters(uow),
            import_registry=import_registry,
            export_readings=ExportReadings(uow),
            issue_token=issue_token,
            revoke_token=RevokeToken(uow, clock),
            authenticate=Authenticate(uow, clock),
            check_health=CheckHealth(uow),
            load_demo=LoadDemo(uow, clock, import_registry, issue_token),
            identify_resident=IdentifyResident(uow, clock),
            update_preferences=UpdatePreferences(uow),
            publish_picture=PublishPicture(uow, clock),
            fetch_picture=FetchPicture(uow, clock),
        )
