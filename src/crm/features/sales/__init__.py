"""ERP sales: clients and invoice lines imported from the ERP's CSV/XLSX exports (upload, CLI, mailbox), and the
monthly revenue per client and product family that the goals and the analysis read."""
