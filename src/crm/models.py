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
from crm.features.plans.models import CallPlan, DayComment, PlanSettings
from crm.features.reports.models import CommunicationReportSettings, ReportView
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

# Slices added after the house recipe: importing the module registers its tables (no name list to keep in sync).
from crm.features.sales import models as sales_models  # noqa: F401  isort: skip
from crm.features.goals import models as goals_models  # noqa: F401  isort: skip
from crm.features.tasks import models as tasks_models  # noqa: F401  isort: skip
from crm.features.alerts import models as alerts_models  # noqa: F401  isort: skip

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
    "ManagerDayFigure",
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
