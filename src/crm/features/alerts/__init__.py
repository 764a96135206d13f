"""Alerts: the bell in the header, the list, the API and the optional daily email. Slices register providers
(goals behind pro-rata, failed imports, overdue tasks, strategies without tasks) in ``registry``."""
