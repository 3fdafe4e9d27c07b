"""The pure domain: rules, value objects and state changes. Standard library only (and caekit.rules, caekit.period)."""
