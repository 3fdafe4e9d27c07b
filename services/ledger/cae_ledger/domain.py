"""Pure ledger rules (no framework, no database)."""

from __future__ import annotations

# Plan Comptable Général accounts the platform uses (domain.md, "Money"), with their type.
CHART_OF_ACCOUNTS: dict[str, tuple[str, str]] = {
    "401": ("Fournisseurs", "liability"),
    "411": ("Clients", "asset"),
    "421": ("Personnel - rémunérations dues", "liability"),
    "425": ("Personnel - notes de frais", "liability"),
    "431": ("Sécurité sociale (URSSAF)", "liability"),
    "437": ("Autres organismes sociaux", "liability"),
    "44566": ("TVA déductible sur autres biens et services", "asset"),
    "44571": ("TVA collectée", "liability"),
    "512": ("Banque", "asset"),
    "641": ("Rémunérations du personnel", "expense"),
    "645": ("Charges de sécurité sociale et de prévoyance", "expense"),
    "706": ("Prestations de services", "revenue"),
    "707": ("Ventes de marchandises", "revenue"),
}

# Third-party (auxiliary) accounts an activity gets, keyed by the activity's analytic code.
ACTIVITY_AUXILIARY_ACCOUNTS = ("401", "411", "421", "425")


def auxiliary_account(general_account: str, activity_code: str) -> str:
    """The auxiliary account number of an activity (FEC CompAuxNum), e.g. 411-BOULANGE."""
    return f"{general_account}-{activity_code}"
