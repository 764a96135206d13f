"""Telegraph office: telegram journal, tariffs, the cost calculator, daily registries, billing, detail sheets."""

from crm.features.accounts.audit_labels import register
from crm.lib.i18n import N_

register(
    {
        # entities
        "telegram": N_("Telegram"),
        "telegram_tariff": N_("Russian telegram tariff"),
        "telegram_country_tariff": N_("Country telegram tariff"),
        "telegram_country": N_("Telegram country"),
        "telegram_client": N_("Telegraph client"),
        "telegram_registry": N_("Telegram registry"),
        "telegram_detail": N_("Detail sheet sending"),
        # actions
        "add": N_("telegrams added"),
        "remove": N_("telegram removed"),
        "form": N_("formed"),
        "reopen": N_("reopened"),
        "bill": N_("billed"),
        "unbill": N_("billing cancelled"),
        "assign": N_("client given"),
        "restore": N_("telegram put back"),
        "queue": N_("queued"),
        "sent": N_("sent"),
        "failed": N_("failed"),
        "import": N_("imported"),
        # fields
        "status": N_("Status"),
        "records": N_("Telegrams"),
        "client": N_("Client"),
        "signed_by": N_("Signed by"),
        "valid_from": N_("Valid from"),
        "valid_to": N_("Valid until"),
        "short_name": N_("Short name"),
        "full_name": N_("Full name"),
        "inn": N_("INN"),
        "code": N_("Code"),
        "delivery_ordinary": N_("Delivery, ordinary"),
        "delivery_urgent": N_("Delivery, urgent"),
        "delivery_post": N_("Delivery by registered post"),
        "delivery_box": N_("Delivery poste restante / PO box"),
        "word_ordinary": N_("Word, ordinary"),
        "word_urgent": N_("Word, urgent"),
        "notification_ordinary": N_("Notification, ordinary"),
        "notification_urgent": N_("Notification, urgent"),
        "lux": N_("Blank ЛЮКС"),
        "lux_v": N_("Blank ЛЮКС/В"),
        "deliver_on_date": N_("Delivery on a set date (ВРУЧИТЬ)"),
        "vat_percent": N_("VAT rate, per cent"),
    },
    entity_values={
        ("telegram_registry", "status"): {
            "draft": ("registry", "draft"),
            "formed": ("registry", "formed"),
            "closed": ("registry", "closed"),
        }
    },
)
