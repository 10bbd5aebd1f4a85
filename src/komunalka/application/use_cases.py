"""The use cases a door may call, wired once by the bootstrap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from komunalka.application.accounts.link_account import LinkAccount, SuppliersFor, UnlinkAccount
from komunalka.application.identity.attach_telegram import AttachTelegram
from komunalka.application.identity.edit_profile import GetProfile, UpdateProfile  # web cabinet
from komunalka.application.identity.identify_resident import IdentifyResident, UpdatePreferences
from komunalka.application.identity.issue_token import Authenticate, IssueToken, RevokeToken
from komunalka.application.identity.resolve_session import ResolveSession, SignOut
from komunalka.application.identity.sign_in import (
    RequestPasswordReset,
    ResetPassword,
    SignIn,
    SignInStaff,
    SignInWithTelegram,
    SignUp,
)
from komunalka.application.notifications.deliver_outbox import DeliverOutbox
from komunalka.application.ports import (
    Clock,
    DialogStateStore,
    MessageSender,
    PasswordHasher,
    RegistryFile,
    Spreadsheets,
    UnitOfWorkFactory,
    XlsxWriter,
)
from komunalka.application.readings.correct_reading import CorrectReading
from komunalka.application.readings.list_my_meters import ListMyMeters
from komunalka.application.readings.media import FetchPicture, PublishPicture
from komunalka.application.readings.reading_history import ReadingHistory
from komunalka.application.readings.readings_sheet import ShowReadingsSheet
from komunalka.application.readings.submit_readings import SubmitReadings
from komunalka.application.staff.find_accounts import FindAccounts
from komunalka.application.staff.manage_staff import AddStaff, ListStaff, UpdateStaff
from komunalka.application.staff.manage_suppliers import ListSuppliers, SaveSupplier
from komunalka.application.staff.submit_for_caller import CorrectForCaller, SubmitForCaller
from komunalka.application.staff.view_account import ViewAccount
from komunalka.application.suppliers.configure_supplier import (
    SetTariff,
    SetWindowRule,
    ShowSupplierSettings,
)
from komunalka.application.suppliers.download_readings import DownloadReadings
from komunalka.application.suppliers.export_readings import ExportReadings
from komunalka.application.suppliers.import_registry import ImportRegistry
from komunalka.application.suppliers.issue_supplier_token import (
    AuthenticateSupplier,
    IssueSupplierToken,
    ListSupplierTokens,
    RevokeSupplierToken,
)
from komunalka.application.suppliers.list_supplier_names import ListSupplierNames  # web cabinet
from komunalka.application.suppliers.non_submitters import ListNonSubmitters
from komunalka.application.suppliers.period_statistics import (
    ListSupplierNonSubmitters,
    ShowPeriodStatistics,
)
from komunalka.application.suppliers.supplier_access import OpenSupplier
from komunalka.application.suppliers.upload_registry import (
    RegistryUploads,
    RunRegistryUpload,
    StartRegistryUpload,
    UploadProgress,
)
from komunalka.application.system.check_health import CheckHealth
from komunalka.application.system.load_demo import LoadDemo


class _NoPasswords:
    """Where no hasher was wired (tests of other doors): any use of passwords is a bug."""

    def hash(self, password: str) -> str:
        raise RuntimeError("no password hasher is wired")

    def verify(self, hashed: str, password: str) -> bool:
        raise RuntimeError("no password hasher is wired")


class _NoSpreadsheets:
    """Where no spreadsheet adapter was wired: registries and XLSX exports are a bug there."""

    def open_registry(self, path: str, kind: str) -> RegistryFile:
        raise RuntimeError("no spreadsheets adapter is wired")

    def xlsx_writer(self, columns: Sequence[str]) -> XlsxWriter:
        raise RuntimeError("no spreadsheets adapter is wired")


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
    readings_sheet: ShowReadingsSheet
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
    sign_up: SignUp
    sign_in: SignIn
    sign_in_staff: SignInStaff
    sign_in_with_telegram: SignInWithTelegram
    request_password_reset: RequestPasswordReset
    reset_password: ResetPassword
    resolve_session: ResolveSession
    sign_out: SignOut
    add_staff: AddStaff
    update_staff: UpdateStaff
    list_staff: ListStaff
    deliver_outbox: DeliverOutbox
    attach_telegram: AttachTelegram
    # operator console (channels/operator)
    find_accounts: FindAccounts
    view_account: ViewAccount
    submit_for_caller: SubmitForCaller
    correct_for_caller: CorrectForCaller
    list_suppliers: ListSuppliers
    save_supplier: SaveSupplier
    # web cabinet
    get_profile: GetProfile
    update_profile: UpdateProfile
    supplier_names: ListSupplierNames
    # supplier portal (door: supplier)
    open_supplier: OpenSupplier
    supplier_settings: ShowSupplierSettings
    set_window_rule: SetWindowRule
    set_tariff: SetTariff
    start_registry_upload: StartRegistryUpload
    run_registry_upload: RunRegistryUpload
    registry_uploads: RegistryUploads
    download_readings: DownloadReadings
    period_statistics: ShowPeriodStatistics
    supplier_non_submitters: ListSupplierNonSubmitters
    issue_supplier_token: IssueSupplierToken
    list_supplier_tokens: ListSupplierTokens
    revoke_supplier_token: RevokeSupplierToken
    authenticate_supplier: AuthenticateSupplier

    @classmethod
    def wire(
        cls,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        passwords: PasswordHasher | None = None,
        telegram_token: str | None = None,
        web_url: str = "http://127.0.0.1:8000",
        senders: dict[str, MessageSender] | None = None,
        dialogs: DialogStateStore | None = None,
        spreadsheets: Spreadsheets | None = None,
    ) -> UseCases:
        hasher: PasswordHasher = passwords or _NoPasswords()
        readings = _readings(uow, clock)
        suppliers = _suppliers(uow, clock, spreadsheets or _NoSpreadsheets())
        identity = _identity(uow, clock, hasher, telegram_token, web_url, dialogs)
        return cls(
            clock=clock,
            **readings,
            **_accounts(uow, clock),
            **identity,
            **_staff(uow, clock, hasher, readings["submit_readings"], readings["correct_reading"]),
            **suppliers,
            **_notifications(uow, clock, senders or {}),
            **_system(uow, clock, suppliers["import_registry"], identity["issue_token"], passwords),
        )


# One function per feature: what each feature's use cases are made of.


def _readings(uow: UnitOfWorkFactory, clock: Clock) -> dict[str, Any]:
    submit = SubmitReadings(uow, uow.submissions, uow.readings, clock)
    meters = ListMyMeters(uow, uow.accounts, uow.suppliers, uow.meters, uow.readings, clock)
    return {
        "submit_readings": submit,
        "correct_reading": CorrectReading(uow, uow.readings, uow.meters, clock, submit),
        "list_my_meters": meters,
        "readings_sheet": ShowReadingsSheet(meters),
        "reading_history": ReadingHistory(uow, uow.meters, uow.readings, uow.tariffs, clock),
        "publish_picture": PublishPicture(uow, uow.media, clock),
        "fetch_picture": FetchPicture(uow, uow.media, clock),
    }


def _accounts(uow: UnitOfWorkFactory, clock: Clock) -> dict[str, Any]:
    return {
        "link_account": LinkAccount(uow, clock),
        "unlink_account": UnlinkAccount(uow, clock),
        "suppliers_for": SuppliersFor(uow),
    }


def _identity(
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    telegram_token: str | None,
    web_url: str,
    dialogs: DialogStateStore | None,
) -> dict[str, Any]:
    return {
        "issue_token": IssueToken(uow, clock),
        "revoke_token": RevokeToken(uow, clock),
        "authenticate": Authenticate(uow, clock),
        "identify_resident": IdentifyResident(uow, clock),
        "update_preferences": UpdatePreferences(uow),
        "sign_up": SignUp(uow, clock, hasher),
        "sign_in": SignIn(uow, clock, hasher),
        "sign_in_staff": SignInStaff(uow, clock, hasher),
        "sign_in_with_telegram": SignInWithTelegram(uow, clock, telegram_token),
        "request_password_reset": RequestPasswordReset(uow, clock, web_url),
        "reset_password": ResetPassword(uow, clock, hasher),
        "resolve_session": ResolveSession(uow, clock),
        "sign_out": SignOut(uow),
        "attach_telegram": AttachTelegram(uow, clock, telegram_token, dialogs),
        "get_profile": GetProfile(uow),
        "update_profile": UpdateProfile(uow, clock),
    }


def _staff(
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    submit: SubmitReadings,
    correct: CorrectReading,
) -> dict[str, Any]:
    return {
        "add_staff": AddStaff(uow, clock, hasher),
        "update_staff": UpdateStaff(uow, clock, hasher),
        "list_staff": ListStaff(uow),
        "find_accounts": FindAccounts(uow),
        "view_account": ViewAccount(uow, clock),
        "submit_for_caller": SubmitForCaller(
            uow, uow.console, uow.meters, uow.audit, clock, submit
        ),
        "correct_for_caller": CorrectForCaller(
            uow, uow.console, uow.meters, uow.readings, uow.audit, clock, correct
        ),
        "list_suppliers": ListSuppliers(uow),
        "save_supplier": SaveSupplier(uow, clock),
    }


def _notifications(
    uow: UnitOfWorkFactory, clock: Clock, senders: dict[str, MessageSender]
) -> dict[str, Any]:
    return {"deliver_outbox": DeliverOutbox(uow, clock, senders)}


def _system(
    uow: UnitOfWorkFactory,
    clock: Clock,
    import_registry: ImportRegistry,
    issue_token: IssueToken,
    passwords: PasswordHasher | None,
) -> dict[str, Any]:
    return {
        "check_health": CheckHealth(uow),
        "load_demo": LoadDemo(uow, clock, import_registry, issue_token, passwords),
    }


def _suppliers(uow: UnitOfWorkFactory, clock: Clock, files: Spreadsheets) -> dict[str, Any]:
    importer = ImportRegistry(uow, clock)
    progress = UploadProgress()
    return {
        "import_registry": importer,
        "export_readings": ExportReadings(uow),
        "non_submitters": ListNonSubmitters(uow),
        "supplier_names": ListSupplierNames(uow),
        "open_supplier": OpenSupplier(uow),
        "supplier_settings": ShowSupplierSettings(uow, clock),
        "set_window_rule": SetWindowRule(uow, clock),
        "set_tariff": SetTariff(uow, clock),
        "start_registry_upload": StartRegistryUpload(uow, clock, progress),
        "run_registry_upload": RunRegistryUpload(uow, clock, importer, files, progress),
        "registry_uploads": RegistryUploads(uow, progress),
        "download_readings": DownloadReadings(uow, files),
        "period_statistics": ShowPeriodStatistics(uow),
        "supplier_non_submitters": ListSupplierNonSubmitters(uow),
        "issue_supplier_token": IssueSupplierToken(uow, clock),
        "list_supplier_tokens": ListSupplierTokens(uow),
        "revoke_supplier_token": RevokeSupplierToken(uow, clock),
        "authenticate_supplier": AuthenticateSupplier(uow),
    }
