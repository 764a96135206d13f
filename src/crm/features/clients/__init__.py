from crm.features.accounts.audit_labels import register
from crm.lib.i18n import N_

register(
    {
        # entities
        "bitrix24_settings": N_("Bitrix24 connection"),
        "stage": N_("Pipeline stage"),
        # actions
        "install": N_("application installed"),
        # fields
        "mode": N_("Connect by"),
        "webhook_url": N_("Webhook URL"),
        "portal": N_("Portal"),
        "client_secret": N_("Application secret"),
        "tokens": N_("Access tokens"),
        "preparation": N_("Preparation stage"),
    },
    values={"mode": {"webhook": N_("incoming webhook"), "app": N_("local application")}},
)
