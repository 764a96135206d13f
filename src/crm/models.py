"""Every feature's models, imported once so metadata (and alembic autogenerate) sees all tables."""

from crm.features.accounts.models import (
    ApiToken,
    AuditEntry,
    PasswordResetToken,
    RefreshToken,
    Role,
    SessionRecord,
    User,
    user_roles,
)
from crm.features.calendar.models import CalendarDay
from crm.features.clients.models import (
    Activity,
    Call,
    Company,
    CompanyAddress,
    Deal,
    Pipeline,
    ReferenceValue,
    Requisite,
    Stage,
)
from crm.features.clients.sync_models import (
    Bitrix24Settings,
    CompanyFigure,
    CompanyPipelineFigure,
    ManagerDayCompany,
    ManagerDayFigure,
    SyncRun,
    SyncState,
)
from crm.features.leads.models import (
    Lead,
    LeadCompetence,
    LeadContact,
    LeadDailyCount,
    LeadMerge,
    LeadOperator,
    LeadSource,
)
from crm.features.org.models import Department, Employee
from crm.features.plans.companies_called import ManagerCompaniesCalled, ManagerPeriodCompany
from crm.features.plans.models import CallPlan, DayComment, PlanSettings
from crm.features.plans.month_figures import ManagerMonthFigure
from crm.features.reports.models import CommunicationReportSettings, ReportView
from crm.features.reports.sales_figures import SaleFigure
from crm.features.system.models import MailTest, SystemSettings
from crm.features.tariffs.models import (
    Country,
    CountryTariff,
    DetailSending,
    JournalUpload,
    Registry,
    RegistryRecord,
    RussianTariff,
    Telegram,
    TelegramClient,
)
from crm.lib.db import metadata


def _register_every_slice() -> None:
    """Importing a slice's models module registers its tables: every slice of ``crm.features.SLICES`` (the named
    imports above are the ones other code reads from here)."""
    import importlib

    from crm.features import SLICES

    for name in SLICES:
        importlib.import_module(f"crm.features.{name}.models")


_register_every_slice()

__all__ = [
    "Activity",
    "ApiToken",
    "AuditEntry",
    "Bitrix24Settings",
    "CalendarDay",
    "Call",
    "CallPlan",
    "CommunicationReportSettings",
    "Company",
    "CompanyAddress",
    "CompanyFigure",
    "CompanyPipelineFigure",
    "Country",
    "CountryTariff",
    "DayComment",
    "Deal",
    "Department",
    "DetailSending",
    "Employee",
    "JournalUpload",
    "Lead",
    "LeadCompetence",
    "LeadContact",
    "LeadDailyCount",
    "LeadMerge",
    "LeadOperator",
    "LeadSource",
    "MailTest",
    "ManagerCompaniesCalled",
    "ManagerDayCompany",
    "ManagerDayFigure",
    "ManagerMonthFigure",
    "ManagerPeriodCompany",
    "PasswordResetToken",
    "Pipeline",
    "PlanSettings",
    "ReferenceValue",
    "RefreshToken",
    "Registry",
    "RegistryRecord",
    "ReportView",
    "Requisite",
    "Role",
    "RussianTariff",
    "SaleFigure",
    "SessionRecord",
    "Stage",
    "SyncRun",
    "SyncState",
    "SystemSettings",
    "Telegram",
    "TelegramClient",
    "User",
    "metadata",
    "user_roles",
]
