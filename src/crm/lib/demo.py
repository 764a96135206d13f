"""What the demo data of every slice shares (``crm demo load``)."""

DEMO_PASSWORD = "crm-demo-2026"
