"""The loyalty program's section of Oscar's dashboard: KPIs, accounts and the program's settings."""
