"""Reports heads and managers read: the client-communication report and the sales report (spec/reports.md)."""
