from crm.features.accounts.audit_labels import register
from crm.lib.i18n import N_

register(
    {
        "system_settings": N_("Settings"),
        "smtp_host": N_("SMTP server"),
        "smtp_port": N_("SMTP port"),
        "smtp_security": N_("SMTP security"),
        "smtp_user": N_("SMTP user"),
        "smtp_password": N_("SMTP password"),
        "smtp_sender": N_("Sender address"),
        "timezone": N_("Time zone"),
    }
)
