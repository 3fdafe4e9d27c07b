"""ledger: chart of accounts, immutable balanced entries, analytic lines per activity."""
