"""Monthly roll-ups of the journal, so the KPI report reads a few hundred rows instead of every entry.

The ledger is the ground floor and knows nothing of reports: which entries
count as a customer's activity, what a month is in the shop's time zone, who
is a new participant are the report's definitions, so they live here, above
the ledger, and ``loyalty_check`` and the beat reach them without importing
the dashboard. See :mod:`oscar_loyalty.reporting.rollups`.
"""
